/**
 * Integration: the image vault with the real downloader against a loopback MirrorServer — verify, resume
 * (Range + If-Range) after a truncated transfer, a changed file and a dead server, checksum failures, shared
 * downloads, offline use of the cache, pruning, local `.gz`/`.xz` images, and a full disk (a 1 MiB tmpfs).
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { createReadStream } from 'node:fs';
import { createHash, randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { UndiciDownloader } from '../../src/backends/http/downloader.js';
import { inspectImage } from '../../src/backends/qemu/img.js';
import { systemClock } from '../../src/core/clock.js';
import { FetchError } from '../../src/core/fetch-error.js';
import type { ImageInfo } from '../../src/services/catalog/types.js';
import type { DownloadProgress } from '../../src/services/vault/ports.js';
import type { ImageSource } from '../../src/services/vault/types.js';
import { Vault } from '../../src/services/vault/vault.js';
import { fault, MirrorServer } from '../harness/mirror-server.js';
import { ProxyServer } from '../harness/proxy-server.js';

const sha = (data: Buffer) => createHash('sha256').update(data).digest('hex');
const MTIME = new Date('2026-01-02T03:04:05Z');

function imageInfo(url: string, body: Buffer, version = '20260101'): ImageInfo {
  return {
    id: sha(body),
    product: 'com.ubuntu.cloud:server:24.04:amd64',
    os: 'ubuntu',
    release: '24.04',
    releaseTitle: '24.04 LTS',
    codename: 'noble',
    version,
    aliases: ['noble', 'lts'],
    supported: true,
    arch: 'amd64',
    item: 'disk1.img',
    url,
    sizeBytes: body.length,
    sha256: sha(body),
  };
}

const catalog = (url: string, body: Buffer, version?: string): ImageSource => ({
  kind: 'catalog',
  remote: 'release',
  image: imageInfo(url, body, version),
});

interface Harness {
  dir: string;
  vault: Vault;
  downloader: UndiciDownloader;
  logs: string[];
}

const open: UndiciDownloader[] = [];

async function vaultIn(dir: string, progressIntervalMs = 100, plainHttp = true): Promise<Harness> {
  const logs: string[] = [];
  const downloader = new UndiciDownloader({ progressIntervalMs, plainHttp });
  open.push(downloader);
  const log = {
    info: (_o: object, m: string) => logs.push(m),
    warn: (_o: object, m: string) => logs.push(m),
  };
  const vault = new Vault({ dir, downloader, inspector: { inspect: inspectImage }, clock: systemClock, log });
  await vault.init();
  return { dir, vault, downloader, logs };
}

const gets = (mirror: MirrorServer, path: string) =>
  mirror.requests.filter((r) => r.method === 'GET' && r.path.endsWith(path));

async function partialFiles(dir: string): Promise<string[]> {
  return (await readdir(join(dir, 'partial'))).sort();
}

describe('vault with the real downloader on a loopback mirror', () => {
  let work: string;
  let mirror: MirrorServer;
  let base: string;
  const small = randomBytes(3 * 1024 * 1024 + 123);
  const big = randomBytes(48 * 1024 * 1024);
  const changed = randomBytes(2 * 1024 * 1024);
  const raw = Buffer.concat([randomBytes(512 * 1024), Buffer.alloc(2 * 1024 * 1024, 7)]);
  let counter = 0;
  const fresh = () => join(work, `vault-${++counter}`);

  before(async () => {
    work = await mkdtemp(join(tmpdir(), 'skiff-vault-it-'));
    mirror = new MirrorServer({
      tree: { 'img/small.img': small, 'img/big.img': big, 'img/url.img': small, 'img/raw.img.xz': xz(raw) },
      mtime: MTIME,
    });
    base = await mirror.start();
  });
  after(async () => {
    await Promise.all(open.map((d) => d.close()));
    await mirror.close();
    await rm(work, { recursive: true, force: true });
  });

  test('downloads, verifies the sha256 inline and installs under the final name', async () => {
    const { vault, dir } = await vaultIn(fresh());
    const progress: DownloadProgress[] = [];
    const image = await vault.acquire(catalog(`${base}img/small.img`, small), 'vm1', {
      onProgress: (p) => progress.push(p),
    });
    assert.equal(image.id, sha(small));
    assert.equal(image.path, join(dir, 'images', `${sha(small)}.img`));
    assert.deepEqual(await readFile(image.path), small);
    assert.deepEqual(image.usedBy, ['vm1']);
    assert.equal(image.source.kind, 'catalog');
    assert.deepEqual(progress.at(-1), {
      ...progress.at(-1)!,
      bytes: small.length,
      totalBytes: small.length,
      etaS: 0,
    });
    assert.deepEqual(await partialFiles(dir), []);
  });

  test('a truncated transfer leaves a resumable partial; the retry asks only for the rest', async () => {
    const { vault, dir } = await vaultIn(fresh());
    const source = catalog(`${base}img/small.img`, small);
    mirror.clearRequests();
    mirror.setFault({ ...fault.truncate(), times: 1 }, 'img/small.img');
    await assert.rejects(vault.acquire(source, 'vm1'), (error: unknown) => {
      assert.ok(error instanceof FetchError, String(error));
      assert.equal(error.failure.cause, 'reset');
      assert.match(error.message, /img\/small\.img/);
      assert.match(error.message, /bytes are kept and the next attempt resumes/);
      return true;
    });
    const half = Math.floor(small.length / 2);
    assert.deepEqual(await partialFiles(dir), [expect.part(small), expect.sidecar(small)].sort());
    assert.equal((await stat(join(dir, 'partial', expect.part(small)))).size, half);
    const image = await vault.acquire(source, 'vm1');
    assert.deepEqual(await readFile(image.path), small);
    const [first, second] = gets(mirror, 'img/small.img');
    assert.equal(first!.headers.range, undefined);
    assert.equal(second!.headers.range, `bytes=${half}-`);
    assert.equal(second!.headers['if-range'], first && (await etagOf(base, 'img/small.img')));
    assert.equal(second!.status, 206);
    assert.deepEqual(await partialFiles(dir), []);
  });

  test('the undici path (used through proxies) resumes a truncated transfer the same way', async () => {
    const { vault } = await vaultIn(fresh(), 100, false);
    const source = catalog(`${base}img/small.img`, small);
    mirror.clearRequests();
    mirror.setFault({ ...fault.truncate(), times: 1 }, 'img/small.img');
    await assert.rejects(vault.acquire(source, 'vm1'), (error: unknown) => {
      assert.ok(error instanceof FetchError && error.failure.cause === 'reset', String(error));
      return true;
    });
    const image = await vault.acquire(source, 'vm1');
    assert.deepEqual(await readFile(image.path), small);
    const [, second] = gets(mirror, 'img/small.img');
    assert.equal(second!.headers.range, `bytes=${Math.floor(small.length / 2)}-`);
    assert.equal(second!.status, 206);
  });

  test('If-Range with an outdated validator starts over from zero', async () => {
    const { vault, dir } = await vaultIn(fresh());
    const url = `${base}img/url.img`;
    mirror.setFault({ ...fault.truncate(), times: 1 }, 'img/url.img');
    await assert.rejects(vault.acquire({ kind: 'url', url }, 'vm1'), FetchError);
    mirror.setTree({ ...treeNow(), 'img/url.img': changed });
    mirror.clearRequests();
    const image = await vault.acquire({ kind: 'url', url }, 'vm1');
    assert.equal(image.id, sha(changed));
    assert.deepEqual(await readFile(image.path), changed);
    const [request] = gets(mirror, 'img/url.img');
    assert.ok(request!.headers.range, 'the retry asked for a range');
    assert.equal(request!.status, 200, 'the server sent the whole new file');
    assert.deepEqual(await partialFiles(dir), []);
  });

  test('a sha256 mismatch fails naming both hashes and the URL, and deletes the download', async () => {
    const { vault, dir } = await vaultIn(fresh());
    const url = `${base}img/small.img`;
    const wrong = 'ab'.repeat(32);
    const source: ImageSource = {
      kind: 'catalog',
      remote: 'release',
      image: { ...imageInfo(url, small), sha256: wrong },
    };
    await assert.rejects(vault.acquire(source, 'vm1'), (error: Error & { code?: string }) => {
      assert.equal(error.code, 'checksum-mismatch');
      assert.ok(
        error.message.includes(wrong) && error.message.includes(sha(small)) && error.message.includes(url),
      );
      return true;
    });
    assert.deepEqual(await partialFiles(dir), []);
    assert.deepEqual(await readdir(join(dir, 'images')), []);
    assert.deepEqual(vault.list(), []);
  });

  test('the server dying mid-download, then a restarted vault resumes the partial', async () => {
    const dir = fresh();
    const dying = new MirrorServer({ tree: { 'big.img': big }, mtime: MTIME });
    const url = await dying.start();
    const port = Number(new URL(url).port);
    const first = await vaultIn(dir, 0);
    const source = catalog(`${url}big.img`, big);
    let closing: Promise<void> | null = null;
    const failed = first.vault.acquire(source, 'vm1', {
      onProgress: (p) => {
        if (closing === null && p.bytes > 0) closing = dying.close();
      },
    });
    await assert.rejects(failed, FetchError);
    await closing;
    const kept = (await stat(join(dir, 'partial', expect.part(big)))).size;
    assert.ok(kept > 0 && kept < big.length, `kept ${kept} of ${big.length}`);
    // A new process: a new Vault and downloader on the same directory, the mirror back on the same port.
    const revived = new MirrorServer({ tree: { 'big.img': big }, mtime: MTIME });
    await revived.start({ port });
    try {
      const second = await vaultIn(dir);
      const image = await second.vault.acquire(source, 'vm1');
      assert.equal(image.id, sha(big));
      assert.deepEqual(await readFile(image.path), big);
      const [request] = gets(revived, 'big.img');
      assert.equal(request!.headers.range, `bytes=${kept}-`);
      assert.equal(request!.status, 206);
    } finally {
      await revived.close();
    }
  });

  test('a process killed with SIGKILL mid-download leaves a partial that the next process resumes', async () => {
    const dir = fresh();
    const source = catalog(`${base}img/big.img`, big);
    // The child kills itself (a real SIGKILL, no cleanup) as soon as some of the image is on disk.
    // Asynchronously: the mirror answering it runs in this process.
    const child = await run(process.execPath, [
      '--input-type=module',
      '-e',
      `import { UndiciDownloader } from ${JSON.stringify(moduleUrl('src/backends/http/downloader.js'))};
         import { Vault } from ${JSON.stringify(moduleUrl('src/services/vault/vault.js'))};
         import { systemClock } from ${JSON.stringify(moduleUrl('src/core/clock.js'))};
         import { inspectImage } from ${JSON.stringify(moduleUrl('src/backends/qemu/img.js'))};
         import { statSync } from 'node:fs';
         const log = { info() {}, warn() {} };
         const vault = new Vault({ dir: ${JSON.stringify(dir)}, downloader: new UndiciDownloader({ progressIntervalMs: 0 }), inspector: { inspect: inspectImage }, clock: systemClock, log });
         await vault.init();
         await vault.acquire(${JSON.stringify(source)}, 'vm1', {
           onProgress: () => statSync(${JSON.stringify(join(dir, 'partial', expect.part(big)))}, { throwIfNoEntry: false })?.size > 0 && process.kill(process.pid, 'SIGKILL'),
         });`,
    ]);
    assert.equal(child.signal, 'SIGKILL', child.stderr);
    const kept = (await stat(join(dir, 'partial', expect.part(big)))).size;
    mirror.clearRequests();
    const { vault } = await vaultIn(dir);
    const image = await vault.acquire(source, 'vm1');
    assert.deepEqual(await readFile(image.path), big);
    assert.ok(kept > 0 && kept < big.length, `kept ${kept} of ${big.length}`);
    const [request] = gets(mirror, 'img/big.img');
    assert.equal(request!.headers.range, `bytes=${kept}-`);
    assert.equal(request!.status, 206);
    assert.deepEqual(await partialFiles(dir), []);
  });

  test('two concurrent acquires of one image share one GET and both see progress', async () => {
    const { vault } = await vaultIn(fresh(), 0);
    mirror.clearRequests();
    const source = catalog(`${base}img/big.img`, big);
    const seen = { a: 0, b: 0 };
    const [a, b] = await Promise.all([
      vault.acquire(source, 'vm-a', { onProgress: () => seen.a++ }),
      vault.acquire(source, 'vm-b', { onProgress: () => seen.b++ }),
    ]);
    assert.equal(a.id, b.id);
    assert.equal(gets(mirror, 'img/big.img').length, 1);
    assert.ok(seen.a > 0 && seen.b > 0, JSON.stringify(seen));
    assert.deepEqual(vault.list()[0]!.usedBy, ['vm-a', 'vm-b']);
  });

  test('offline: a cached image is acquired with the server gone, and an unreachable newer version falls back', async () => {
    const dir = fresh();
    const server = new MirrorServer({ tree: { 'n.img': small }, mtime: MTIME });
    const url = await server.start();
    const online = await vaultIn(dir);
    const cached = await online.vault.acquire(catalog(`${url}n.img`, small), 'vm1');
    await server.close();
    const offline = await vaultIn(dir);
    const again = await offline.vault.acquire(catalog(`${url}n.img`, small), 'vm2');
    assert.equal(again.id, cached.id);
    assert.deepEqual(again.usedBy, ['vm1', 'vm2']);
    // The catalog moved on to a version never downloaded; with no network the cached one is used.
    const newer = catalog(`${url}n2.img`, changed, '20260202');
    const fallback = await offline.vault.acquire(newer, 'vm3');
    assert.equal(fallback.id, cached.id);
    assert.ok(offline.logs.some((m) => /cached previous version/.test(m)));
  });

  test('prune never removes an image an instance uses', async () => {
    const { vault } = await vaultIn(fresh());
    const used = await vault.acquire(catalog(`${base}img/small.img`, small), 'vm1');
    const other = await vault.acquire({ kind: 'url', url: `${base}img/raw.img.xz` }, 'vm2');
    await vault.release(other.id, 'vm2');
    await new Promise((resolve) => setTimeout(resolve, 5));
    const removed = await vault.prune({ maxUnusedMs: 0 });
    assert.deepEqual(
      removed.map((i) => i.id),
      [other.id],
    );
    await assert.rejects(stat(other.path), { code: 'ENOENT' });
    assert.deepEqual(await readFile(used.path), small);
    assert.deepEqual(
      vault.list().map((i) => i.id),
      [used.id],
    );
  });

  test('a .xz URL is verified as downloaded and stored decompressed', async () => {
    const { vault, dir } = await vaultIn(fresh());
    const image = await vault.acquire({ kind: 'url', url: `${base}img/raw.img.xz` }, 'vm1');
    assert.equal(image.id, sha(raw));
    assert.deepEqual(await readFile(image.path), raw);
    assert.equal(image.source.kind === 'url' && image.source.sha256, sha(xz(raw)));
    assert.deepEqual(await partialFiles(dir), []);
  });

  for (const format of ['gz', 'xz'] as const) {
    test(`an uploaded .${format} file is decompressed into the cache`, async () => {
      const { vault, dir } = await vaultIn(fresh());
      const path = join(work, `local.img.${format}`);
      await writeFile(path, format === 'gz' ? gzipSync(raw) : xz(raw));
      const image = await vault.acquire(await uploadOf(path), 'vm1');
      assert.equal(image.id, sha(raw));
      assert.deepEqual(await readFile(image.path), raw);
      assert.deepEqual(await partialFiles(dir), []);
      // A corrupt archive fails naming the file and leaves nothing behind.
      const broken = join(work, `broken.img.${format}`);
      const bytes = format === 'gz' ? gzipSync(raw) : xz(raw);
      bytes.fill(0x55, 100, 4000);
      await writeFile(broken, bytes);
      await assert.rejects(
        vault.acquire(await uploadOf(broken), 'vm2'),
        (error: Error & { code?: string }) => {
          assert.equal(error.code, 'invalid-argument');
          assert.ok(error.message.includes(broken), error.message);
          return true;
        },
      );
      assert.deepEqual(await partialFiles(dir), []);
      assert.deepEqual(
        vault.list().map((i) => i.id),
        [image.id],
      );
    });
  }

  test('a full disk (1 MiB tmpfs) fails clearly and leaves nothing half-written', async (t) => {
    const mountPoint = join(work, 'tiny');
    await mkdir(mountPoint);
    const mounted = spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=1m', 'tmpfs', mountPoint]);
    if (mounted.status !== 0) return t.skip(`cannot mount a tmpfs: ${mounted.stderr.toString().trim()}`);
    try {
      const { vault, dir } = await vaultIn(join(mountPoint, 'vault'));
      await assert.rejects(
        vault.acquire({ kind: 'url', url: `${base}img/small.img` }, 'vm1'),
        (error: Error & { code?: string; details?: Record<string, unknown> }) => {
          assert.equal(error.code, 'disk-full');
          assert.equal(error.details?.dir, dir);
          assert.match(error.message, /no space left/);
          return true;
        },
      );
      assert.deepEqual(await partialFiles(dir), []);
      assert.deepEqual(await readdir(join(dir, 'images')), []);
      // With the size known from the catalog, it fails before writing anything.
      await assert.rejects(
        vault.acquire(catalog(`${base}img/small.img`, small), 'vm1'),
        /not enough free disk space/,
      );
      assert.deepEqual(await partialFiles(dir), []);
    } finally {
      spawnSync('umount', [mountPoint]);
    }
  });

  test('downloads go through HTTP_PROXY (undici EnvHttpProxyAgent)', async () => {
    const proxy = new ProxyServer({ hosts: { 'images.test': '127.0.0.1' } });
    const proxyUrl = await proxy.start();
    const saved = { ...process.env };
    for (const name of ['NO_PROXY', 'no_proxy', 'http_proxy']) delete process.env[name];
    process.env.HTTP_PROXY = proxyUrl;
    try {
      const { vault } = await vaultIn(fresh());
      const url = `http://images.test:${new URL(base).port}/img/small.img`;
      const image = await vault.acquire(catalog(url, small), 'vm1');
      assert.deepEqual(await readFile(image.path), small);
      // undici tunnels through the proxy with CONNECT, also for http:// targets.
      const via = new URL(url).host;
      assert.ok(
        proxy.requests.some((r) => r.target === url || r.target === via),
        JSON.stringify(proxy.requests),
      );
    } finally {
      process.env = saved;
      await proxy.close();
    }
  });

  /** The tree currently served (only changed per test through setTree). */
  function treeNow(): Record<string, Buffer> {
    return { 'img/small.img': small, 'img/big.img': big, 'img/url.img': small, 'img/raw.img.xz': xz(raw) };
  }
});

/** Runs a process to its end; its exit signal and stderr. */
function run(command: string, args: string[]): Promise<{ signal: NodeJS.Signals | null; stderr: string }> {
  const child = spawn(command, args, { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (text: string) => (stderr += text));
  return new Promise((resolve) => child.once('exit', (_code, signal) => resolve({ signal, stderr })));
}

/** An upload of the file at `path`, as the launch route makes it from a client's request body. */
async function uploadOf(path: string): Promise<ImageSource> {
  const { size } = await stat(path);
  return {
    kind: 'upload',
    id: randomBytes(8).toString('hex'),
    name: path,
    sizeBytes: size,
    mtimeMs: 0,
    open: async () => createReadStream(path),
  };
}

/** file:// URL of a compiled module of this repository (this file runs from dist/tests/integration/). */
function moduleUrl(path: string): string {
  return new URL(`../../${path}`, import.meta.url).href;
}

/** Names of a catalog image's partial files (key = first 32 hex of its sha256). */
const expect = {
  part: (body: Buffer) => `sha-${sha(body).slice(0, 32)}.part`,
  sidecar: (body: Buffer) => `sha-${sha(body).slice(0, 32)}.json`,
};

async function etagOf(base: string, path: string): Promise<string | null> {
  const response = await fetch(`${base}${path}`, { method: 'HEAD' });
  return response.headers.get('etag');
}

const xzCache = new Map<Buffer, Buffer>();
function xz(data: Buffer): Buffer {
  let packed = xzCache.get(data);
  if (packed === undefined) {
    packed = execFileSync('xz', ['--compress', '--stdout', '-0'], { input: data, maxBuffer: 1 << 30 });
    xzCache.set(data, packed);
  }
  return packed;
}
