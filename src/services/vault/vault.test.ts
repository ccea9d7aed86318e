import { afterEach, beforeEach, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { gunzipSync, gzipSync } from 'node:zlib';
import { SkiffError } from '../../core/errors.js';
import { DownloadError, FetchError } from '../../core/fetch-error.js';
import { FakeClock } from '../../testing/fake-clock.js';
import type { ImageInfo } from '../catalog/types.js';
import { writeJsonAtomic } from '../persist/atomic-json.js';
import type {
  DecompressRequest,
  Downloader,
  FetchRequest,
  FetchResult,
  ImageInspector,
  ReceiveRequest,
} from './ports.js';
import { INDEX_SCHEMA, SIDECAR_SCHEMA } from './records.js';
import type { ImageSource } from './types.js';
import { Vault } from './vault.js';

const DAY = 24 * 60 * 60 * 1000;
const sha = (data: Buffer) => createHash('sha256').update(data).digest('hex');

/** Serves bodies by URL from memory; can fail a fetch after writing half of it. */
class FakeDownloader implements Downloader {
  readonly bodies = new Map<string, Buffer>();
  readonly calls: FetchRequest[] = [];
  failNext: ((req: FetchRequest, body: Buffer) => Promise<never>) | null = null;

  async fetch(req: FetchRequest): Promise<FetchResult> {
    this.calls.push(req);
    const body = this.bodies.get(req.url);
    if (body === undefined)
      throw new DownloadError({ cause: 'http-404', url: req.url, message: 'not found' });
    await req.onStart?.({ etag: '"e"', lastModified: null, totalBytes: body.length, resumedFromBytes: 0 });
    const fail = this.failNext;
    this.failNext = null;
    if (fail) return fail(req, body);
    await writeFile(req.dest, body);
    return {
      sha256: sha(body),
      sizeBytes: body.length,
      resumedFromBytes: 0,
      transferredBytes: body.length,
      etag: '"e"',
      lastModified: null,
    };
  }

  async expandedSize(src: string) {
    return { bytes: gunzipSync(await readFile(src)).length, exact: true };
  }

  async receive(req: ReceiveRequest) {
    const chunks: Buffer[] = [];
    for await (const chunk of req.input) chunks.push(chunk as Buffer);
    const body = Buffer.concat(chunks);
    if (body.length !== req.sizeBytes) throw new Error(`size mismatch for ${req.name}`);
    await writeFile(req.dest, body);
    return { sha256: sha(body), sizeBytes: body.length };
  }

  async decompress(req: DecompressRequest) {
    const data = gunzipSync(await readFile(req.src));
    if (req.maxBytes !== undefined && data.length > req.maxBytes)
      throw new SkiffError('internal', 'expands too much', { details: { reason: 'too-large' } });
    await writeFile(req.dest, data);
    return { sha256: sha(data), sizeBytes: data.length };
  }
}

/**
 * Says every file is raw, except those whose text starts with `backing:PATH` or `data-file:PATH`, which it
 * reports as qcow2 naming that file (as qemu-img would for such an image).
 */
const inspector: ImageInspector = {
  async inspect(path) {
    const text = (await readFile(path)).toString('latin1');
    const named = /^(backing|data-file):(\S+)/.exec(text);
    return {
      format: named === null ? 'raw' : 'qcow2',
      backingFile: named?.[1] === 'backing' ? named[2]! : null,
      dataFile: named?.[1] === 'data-file' ? named[2]! : null,
      virtualBytes: text.length,
    };
  },
};

/** An upload of `body`, as the launch route makes it from a client's request. */
function uploadOf(body: Buffer, name: string): ImageSource {
  return {
    kind: 'upload',
    id: `${name}-${Math.random()}`,
    name,
    sizeBytes: body.length,
    mtimeMs: 0,
    open: async () => Readable.from([body]),
  };
}

function info(url: string, body: Buffer, version = '20260101', product = 'noble'): ImageInfo {
  return {
    id: sha(body),
    product,
    os: 'ubuntu',
    release: '24.04',
    releaseTitle: '24.04 LTS',
    codename: 'noble',
    version,
    aliases: ['noble'],
    supported: true,
    arch: 'amd64',
    item: 'disk1.img',
    url,
    sizeBytes: body.length,
    sha256: sha(body),
  };
}

const V1 = Buffer.from('version one');
const V2 = Buffer.from('version two!');
const cat = (body: Buffer, version?: string): ImageSource => ({
  kind: 'catalog',
  remote: 'release',
  image: info(`http://m/${sha(body)}.img`, body, version),
});

describe('Vault', () => {
  let dir: string;
  let downloader: FakeDownloader;
  let clock: FakeClock;
  let logs: string[];
  const make = async () => {
    const vault = new Vault({
      dir,
      downloader,
      inspector,
      clock,
      log: { info: (_o, m) => logs.push(m), warn: (_o, m) => logs.push(m) },
    });
    await vault.init();
    return vault;
  };

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'skiff-vault-'));
    downloader = new FakeDownloader();
    for (const body of [V1, V2]) downloader.bodies.set(`http://m/${sha(body)}.img`, body);
    clock = new FakeClock();
    logs = [];
  });
  afterEach(() => rm(dir, { recursive: true, force: true }));

  test('is unusable before init', async () => {
    const vault = new Vault({ dir, downloader, inspector, clock, log: { info() {}, warn() {} } });
    await assert.rejects(vault.acquire(cat(V1), 'vm1'), /before init/);
  });

  for (const [field, body] of [
    ['backing-filename', Buffer.from('backing:/root/secret.raw')],
    ['format-specific.data.data-file', Buffer.from('data-file:/dev/sda')],
  ] as const) {
    test(`an image naming a host file (${field}) is refused by every route and nothing is kept`, async () => {
      const vault = await make();
      const url = `http://m/${sha(body)}.img`;
      downloader.bodies.set(url, body);
      const sources: ImageSource[] = [
        { kind: 'catalog', remote: 'release', image: info(url, body) },
        { kind: 'url', url },
        uploadOf(body, '/home/u/hostile.img'),
        uploadOf(gzipSync(body), '/home/u/hostile.img.gz'),
      ];
      for (const source of sources) {
        await assert.rejects(vault.acquire(source, 'vm1'), (error: SkiffError) => {
          assert.equal(error.code, 'invalid-argument');
          assert.equal(error.details?.field, field);
          assert.match(error.message, new RegExp(`is refused: .*\\(${field.replaceAll('.', '\\.')}: `));
          return true;
        });
      }
      assert.deepEqual(vault.list(), []);
      assert.deepEqual(await readdir(join(dir, 'images')), []);
      assert.deepEqual(await readdir(join(dir, 'partial')), []);
    });
  }

  test('a cached image is returned without a download, and every user is recorded', async () => {
    const vault = await make();
    const first = await vault.acquire(cat(V1), 'vm1');
    const second = await vault.acquire(cat(V1), 'vm2');
    assert.equal(downloader.calls.length, 1);
    assert.equal(second.id, first.id);
    assert.deepEqual(second.usedBy, ['vm1', 'vm2']);
    const index = JSON.parse(await readFile(join(dir, 'index.json'), 'utf8'));
    assert.equal(index.schema, INDEX_SCHEMA);
    assert.deepEqual(index.data.images[0].usedBy, ['vm1', 'vm2']);
  });

  test('a network failure keeps the partial and its sidecar; the next attempt resumes with If-Range', async () => {
    const vault = await make();
    downloader.failNext = async (req, body) => {
      await writeFile(req.dest, body.subarray(0, 4));
      throw new DownloadError({ cause: 'reset', url: req.url, message: 'connection reset' });
    };
    await assert.rejects(vault.acquire(cat(V1), 'vm1'), /4 bytes are kept/);
    assert.equal((await readdir(join(dir, 'partial'))).length, 2);
    const restarted = await make();
    await restarted.acquire(cat(V1), 'vm1');
    assert.deepEqual(downloader.calls[1]!.resume, { ifRange: '"e"' });
    assert.deepEqual(await readdir(join(dir, 'partial')), []);
  });

  test('a full disk removes the partial and says so', async () => {
    const vault = await make();
    downloader.failNext = async (req) => {
      await writeFile(req.dest, 'xx');
      throw Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' });
    };
    await assert.rejects(
      vault.acquire(cat(V1), 'vm1'),
      (error: Error & { code?: string; details?: { dir?: string } }) => {
        assert.equal(error.code, 'disk-full');
        assert.equal(error.details?.dir, dir);
        return true;
      },
    );
    assert.deepEqual(await readdir(join(dir, 'partial')), []);
  });

  test('init reconciles: drops records of missing files, adopts unlisted ones, cleans temp files', async () => {
    const vault = await make();
    const kept = await vault.acquire(cat(V1), 'vm1');
    const lost = await vault.acquire(cat(V2), 'vm2');
    await rm(lost.path);
    const stray = 'c'.repeat(64);
    await writeFile(join(dir, 'images', `${stray}.img`), 'orphan');
    await writeFile(join(dir, 'images', `.${stray}.img.123.tmp`), 'x');
    await writeFile(join(dir, '.index.json.abc.tmp'), 'x');
    const partial = join(dir, 'partial');
    await writeFile(join(partial, 'url-1.part'), 'resumable');
    await writeJsonAtomic(join(partial, 'url-1.json'), SIDECAR_SCHEMA, {
      url: 'http://m/x',
      etag: '"e"',
      lastModified: null,
      expectedSha256: null,
      totalBytes: 100,
      startedAtMs: 0,
    });
    await writeFile(join(partial, 'url-2.part'), 'no sidecar');
    await writeFile(join(partial, 'url-3.unpack'), 'half decompressed');
    const restarted = await make();
    const byId = new Map(restarted.list().map((i) => [i.id, [i.source.kind, i.usedBy]]));
    assert.deepEqual(
      byId,
      new Map([
        [kept.id, ['catalog', ['vm1']]],
        [stray, ['unknown', []]],
      ]),
    );
    assert.deepEqual((await readdir(partial)).sort(), ['url-1.json', 'url-1.part']);
    assert.deepEqual((await readdir(join(dir, 'images'))).sort(), [`${kept.id}.img`, `${stray}.img`].sort());
    assert.deepEqual(
      (await readdir(dir)).filter((n) => n.endsWith('.tmp')),
      [],
    );
    const index = JSON.parse(await readFile(join(dir, 'index.json'), 'utf8'));
    assert.equal(index.data.images.length, 2, 'the index names no missing file');
  });

  test('an unreadable index is set aside and the images are adopted', async () => {
    const vault = await make();
    const image = await vault.acquire(cat(V1), 'vm1');
    await writeFile(join(dir, 'index.json'), '{ torn');
    const restarted = await make();
    assert.deepEqual(
      restarted.list().map((i) => i.id),
      [image.id],
    );
    assert.ok((await readdir(dir)).some((n) => n.startsWith('index.json.corrupt-')));
    // The lost users come back from the instance store.
    await restarted.reconcileUsers([{ id: image.id, instance: 'vm1' }]);
    assert.deepEqual(restarted.list()[0]!.usedBy, ['vm1']);
  });

  test('prune: after 14 unused days only, never while used', async () => {
    const vault = await make();
    const a = await vault.acquire(cat(V1), 'vm1');
    const b = await vault.acquire(cat(V2), 'vm2');
    await vault.release(b.id, 'vm2');
    await clock.advance(13 * DAY);
    assert.deepEqual(await vault.prune(), []);
    await clock.advance(2 * DAY);
    const removed = await vault.prune();
    assert.deepEqual(
      removed.map((i) => i.id),
      [b.id],
    );
    await clock.advance(365 * DAY);
    assert.deepEqual(await vault.prune(), [], 'vm1 still uses a');
    assert.deepEqual(await readdir(join(dir, 'images')), [`${a.id}.img`]);
    await vault.release('f'.repeat(64), 'vm1'); // unknown ids are ignored
  });

  test('abandoned partial downloads are pruned with the images; leftovers of installed ones on init', async () => {
    const vault = await make();
    const partial = join(dir, 'partial');
    const sidecar = (url: string, expectedSha256: string | null) => ({
      url,
      etag: '"e"',
      lastModified: null,
      expectedSha256,
      totalBytes: 100,
      startedAtMs: clock.now(),
    });
    await writeFile(join(partial, 'url-old.part'), 'x');
    await writeJsonAtomic(join(partial, 'url-old.json'), SIDECAR_SCHEMA, sidecar('http://m/old', null));
    await clock.advance(10 * DAY);
    await writeFile(join(partial, 'url-new.part'), 'x');
    await writeJsonAtomic(join(partial, 'url-new.json'), SIDECAR_SCHEMA, sidecar('http://m/new', null));
    await clock.advance(5 * DAY);
    await vault.prune();
    assert.deepEqual((await readdir(partial)).sort(), ['url-new.json', 'url-new.part']);
    // A crash after installing but before removing the partial: the next start removes it.
    const image = await vault.acquire(cat(V1), 'vm1');
    await writeFile(join(partial, 'sha-x.part'), 'x');
    await writeJsonAtomic(join(partial, 'sha-x.json'), SIDECAR_SCHEMA, sidecar('http://m/x', image.id));
    await make();
    assert.deepEqual((await readdir(partial)).sort(), ['url-new.json', 'url-new.part']);
  });

  test('reconcileUsers makes the users exactly those the instance store names', async () => {
    const vault = await make();
    const a = await vault.acquire(cat(V1), 'vm1');
    await vault.acquire(cat(V1), 'ghost');
    await vault.reconcileUsers([{ id: a.id, instance: 'vm1' }]);
    assert.deepEqual(vault.list()[0]!.usedBy, ['vm1']);
  });

  test('refresh downloads the newer version of a product and keeps the old file', async () => {
    const vault = await make();
    const old = await vault.acquire(cat(V1, '20260101'), 'vm1');
    const newer = cat(V2, '20260201');
    const fetched = await vault.refresh(async (image) => {
      assert.equal(image.id, old.id);
      return newer;
    });
    assert.deepEqual(
      fetched.map((i) => [i.id, i.usedBy]),
      [[sha(V2), []]],
    );
    assert.equal(vault.list().length, 2);
    const calls = downloader.calls.length;
    assert.deepEqual(await vault.refresh(async () => newer), []);
    assert.equal(downloader.calls.length, calls, 'already cached: nothing fetched');
    const failing = await vault.refresh(async () => {
      throw new Error('catalog missing');
    });
    assert.deepEqual(failing, []);
    assert.ok(logs.some((m) => /refresh failed/.test(m)));
  });

  test('without network, a newer catalog version falls back to the cached one of the same product', async () => {
    const vault = await make();
    const old = await vault.acquire(cat(V1, '20260101'), 'vm1');
    const missing: ImageSource = {
      kind: 'catalog',
      remote: 'release',
      image: info('http://m/gone.img', Buffer.from('never served'), '20260301'),
    };
    const got = await vault.acquire(missing, 'vm2');
    assert.equal(got.id, old.id);
    const otherProduct: ImageSource = {
      kind: 'catalog',
      remote: 'release',
      image: info('http://m/gone.img', Buffer.from('never served'), '1', 'jammy'),
    };
    await assert.rejects(vault.acquire(otherProduct, 'vm3'), FetchError);
  });

  test('uploads: stored under their sha256 (once for the same bytes), decompressed by name, never merged', async () => {
    const vault = await make();
    let opened = 0;
    const upload = (body: Buffer, name = '/home/u/disk.img', sizeBytes = body.length): ImageSource => ({
      kind: 'upload',
      id: `t${opened}-${Math.random()}`,
      name,
      sizeBytes,
      mtimeMs: 1000.7,
      open: async () => {
        opened += 1;
        return Readable.from([body]);
      },
    });
    const first = await vault.acquire(upload(V1), 'vm1');
    assert.equal(first.id, sha(V1));
    assert.deepEqual(first.source, {
      kind: 'file',
      path: '/home/u/disk.img',
      sizeBytes: V1.length,
      mtimeMs: 1000,
    });
    // A name and dates prove nothing about the bytes: every upload is received, the same bytes stored once.
    assert.equal((await vault.acquire(upload(V1), 'vm2')).id, first.id);
    assert.equal(opened, 2);
    assert.deepEqual(
      vault.list().map((i) => [i.id, i.usedBy]),
      [[first.id, ['vm1', 'vm2']]],
    );
    assert.equal((await vault.acquire(upload(gzipSync(V2), '/home/u/disk.img.gz'), 'vm3')).id, sha(V2));
    await assert.rejects(
      vault.acquire(upload(V2, '/home/u/short.img', V2.length + 5), 'vm4'),
      /size mismatch/,
    );
    assert.deepEqual(await readdir(join(dir, 'partial')), [], 'nothing is left of a failed upload');
    assert.equal(downloader.calls.length, 0, 'no URL was fetched');
  });
});
