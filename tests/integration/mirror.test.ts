/**
 * Integration: `skiff mirror build` and `skiff mirror serve` as real processes, read back by skiffd's catalog,
 * by an independent schema check, and by plain HTTP clients (Range, ETag, Last-Modified).
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, readFile, readdir, rm, stat, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { runSkiff, SkiffDaemon } from '../harness/skiff-process.js';
import { simplestreamsShapeErrors } from '../harness/simplestreams-schema.js';
import { serveMirror, type ServedMirror } from '../harness/local-mirror.js';

async function treeDigest(dir: string): Promise<string> {
  const hash = createHash('sha256');
  const walk = async (d: string): Promise<void> => {
    for (const entry of (await readdir(d, { withFileTypes: true })).sort((a, b) =>
      a.name.localeCompare(b.name),
    )) {
      const path = join(d, entry.name);
      if (entry.isDirectory()) await walk(path);
      else
        hash.update(`${relative(dir, path)}\0${(await stat(path)).mtimeMs}\0`).update(await readFile(path));
    }
  };
  await walk(dir);
  return hash.digest('hex');
}

describe('skiff mirror build + serve', () => {
  let work: string;
  let tree: string;
  let imageA: string;
  let imageB: string;
  let serve: ServedMirror;
  const build = (image: string, ...extra: string[]) =>
    runSkiff([
      'mirror',
      'build',
      tree,
      '--image',
      image,
      '--release',
      'noble',
      '--version',
      '24.04',
      '--aliases',
      'noble,24.04,lts',
      '--title',
      '24.04 LTS',
      ...extra,
    ]);

  before(async () => {
    work = await mkdtemp(join(tmpdir(), 'skiff-mirror-'));
    tree = join(work, 'tree');
    imageA = join(work, 'a.img');
    imageB = join(work, 'b.img');
    await writeFile(imageA, Buffer.alloc(300_000, 1));
    await writeFile(imageB, Buffer.alloc(200_000, 2));
  });
  after(async () => {
    serve?.stop();
    await rm(work, { recursive: true, force: true });
  });

  test('build publishes two versions; the same image again is a no-op', async () => {
    const first = await build(imageA, '--serial', '20261101');
    assert.equal(first.code, 0, first.stderr);
    assert.match(first.stdout, /published com\.ubuntu\.cloud:server:24\.04:amd64 version 20261101/);
    const second = await build(imageB, '--serial', '20261120');
    assert.equal(second.code, 0, second.stderr);
    const before = await treeDigest(tree);
    const again = await build(imageB);
    assert.equal(again.code, 0);
    assert.match(again.stdout, /already published: .* version 20261120/);
    assert.equal(await treeDigest(tree), before, 'a no-op writes nothing');
    const daily = await runSkiff([
      'mirror',
      'build',
      tree,
      '--image',
      imageA,
      '--release',
      'tiny',
      '--version',
      '1.0',
      '--aliases',
      'tiny',
      '--os',
      'skiff-test',
      '--stream',
      'daily',
    ]);
    assert.equal(daily.code, 0, daily.stderr);
  });

  test('the tree passes an independent schema check', async () => {
    for (const stream of ['releases', 'daily']) {
      const index = JSON.parse(await readFile(join(tree, stream, 'streams/v1/index.json'), 'utf8')) as {
        index: Record<string, { path: string }>;
      };
      const path = Object.values(index.index)[0]!.path;
      const products = JSON.parse(await readFile(join(tree, stream, path), 'utf8')) as unknown;
      assert.deepEqual(simplestreamsShapeErrors(index, products), []);
    }
  });

  test('bad input changes nothing: missing image, alias clash, malformed index', async () => {
    const before = await treeDigest(tree);
    const missing = await build(join(work, 'nope.img'));
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /--image .*nope\.img: no such file/);
    const clash = await runSkiff([
      'mirror',
      'build',
      tree,
      '--image',
      imageA,
      '--release',
      'jammy',
      '--version',
      '22.04',
      '--aliases',
      'jammy,lts',
    ]);
    assert.equal(clash.code, 1);
    assert.match(clash.stderr, /alias "lts" already belongs to com\.ubuntu\.cloud:server:24\.04:amd64/);
    assert.equal(await treeDigest(tree), before);
    const broken = await mkdtemp(join(work, 'broken-'));
    await runSkiff([
      'mirror',
      'build',
      broken,
      '--image',
      imageA,
      '--release',
      'noble',
      '--version',
      '24.04',
      '--aliases',
      'noble',
    ]);
    const indexPath = join(broken, 'releases/streams/v1/index.json');
    await writeFile(indexPath, '{"format": "index:1.0", "index": ');
    const brokenBefore = await treeDigest(broken);
    const malformed = await runSkiff([
      'mirror',
      'build',
      broken,
      '--image',
      imageB,
      '--release',
      'noble',
      '--version',
      '24.04',
      '--aliases',
      'noble',
    ]);
    assert.equal(malformed.code, 1);
    assert.match(malformed.stderr, /existing mirror file .*index\.json is malformed .*nothing was changed/);
    assert.equal(await treeDigest(broken), brokenBefore);
  });

  test('serve answers Range, ETag and Last-Modified requests with correct lengths, and logs each request', async () => {
    serve = await serveMirror(tree);
    const index = await fetch(`${serve.url}releases/streams/v1/index.json`);
    assert.equal(index.status, 200);
    const body = await index.text();
    assert.equal(Number(index.headers.get('content-length')), Buffer.byteLength(body));
    const etag = index.headers.get('etag');
    const lastModified = index.headers.get('last-modified');
    assert.ok(etag && lastModified);
    const revalidated = await fetch(`${serve.url}releases/streams/v1/index.json`, {
      headers: { 'if-none-match': etag },
    });
    assert.equal(revalidated.status, 304);
    const sinceDate = await fetch(`${serve.url}releases/streams/v1/index.json`, {
      headers: { 'if-modified-since': lastModified },
    });
    assert.equal(sinceDate.status, 304);
    const imagePath = 'releases/ubuntu/noble/20261120/ubuntu-24.04-amd64.img';
    const part = await fetch(`${serve.url}${imagePath}`, { headers: { range: 'bytes=100-199' } });
    assert.equal(part.status, 206);
    assert.equal(part.headers.get('content-range'), 'bytes 100-199/200000');
    assert.equal(Number(part.headers.get('content-length')), 100);
    assert.deepEqual(Buffer.from(await part.arrayBuffer()), Buffer.alloc(100, 2));
    const imageEtag = (await fetch(`${serve.url}${imagePath}`, { method: 'HEAD' })).headers.get('etag')!;
    const ifRange = await fetch(`${serve.url}${imagePath}`, {
      headers: { range: 'bytes=0-9', 'if-range': imageEtag },
    });
    assert.equal(ifRange.status, 206);
    const staleIfRange = await fetch(`${serve.url}${imagePath}`, {
      headers: { range: 'bytes=0-9', 'if-range': '"other"' },
    });
    assert.equal(staleIfRange.status, 200, 'a stale If-Range gets the whole file');
    assert.equal((await staleIfRange.arrayBuffer()).byteLength, 200_000);
    const traversal = await fetch(`${serve.url}..%2f..%2fetc%2fpasswd`);
    assert.ok(traversal.status >= 400);
    assert.match(serve.log(), /"GET \/releases\/streams\/v1\/index\.json" 200 \d+ bytes/);
    assert.match(
      serve.log(),
      /"GET \/releases\/ubuntu\/noble\/20261120\/ubuntu-24\.04-amd64\.img" 206 100 bytes .* range=bytes=100-199/,
    );
  });

  test("skiff's own catalog reads the served mirror: aliases, versions and the sha256 ids", async () => {
    const daemon = await SkiffDaemon.start({ mirror: serve.url });
    try {
      const find = await daemon.cli(['find', '--format', 'json']);
      assert.equal(find.code, 0, find.stderr);
      const images = (
        JSON.parse(find.stdout) as {
          images: Record<string, { aliases: string[]; version: string; remote: string }>;
        }
      ).images;
      // Key = first alias in products-file order (noble), the rest follow, as Multipass names them.
      assert.deepEqual(images['noble'], {
        os: 'Ubuntu',
        release: '24.04 LTS',
        version: '20261120',
        aliases: ['24.04', 'lts'],
        remote: 'release',
      });
      assert.equal(images['daily:tiny']?.version.slice(0, 4), String(new Date().getUTCFullYear()));
      const sha = createHash('sha256')
        .update(await readFile(imageA))
        .digest('hex');
      const byId = await daemon.cli(['find', sha.slice(0, 16), '--format', 'json']);
      assert.equal(byId.code, 0, byId.stderr);
      assert.equal(
        (JSON.parse(byId.stdout) as { images: Record<string, { version: string }> }).images[sha.slice(0, 12)]
          ?.version,
        '20261101',
      );
    } finally {
      await daemon.stop();
    }
  });
});

describe('skiff mirror serve never leaves its tree', () => {
  let work: string;
  let tree: string;
  let serve: ServedMirror;

  before(async () => {
    work = await mkdtemp(join(tmpdir(), 'skiff-mirror-escape-'));
    tree = join(work, 'tree');
    await mkdir(join(tree, 'releases/2026'), { recursive: true });
    await writeFile(join(tree, 'releases/2026/image.img'), 'image bytes');
    await writeFile(join(work, 'secret'), 'host secret');
    await mkdir(join(work, 'private'));
    await writeFile(join(work, 'private/key'), 'private key');
    await symlink(join(work, 'secret'), join(tree, 'releases/x'));
    await symlink('../../secret', join(tree, 'releases/relative'));
    await symlink(join(work, 'private'), join(tree, 'releases/dir'));
    await symlink('/etc/passwd', join(tree, 'releases/passwd'));
    await symlink('2026', join(tree, 'releases/current'));
    serve = await serveMirror(tree);
  });
  after(async () => {
    serve?.stop();
    await rm(work, { recursive: true, force: true });
  });

  test('symlinks to files or directories outside are refused; ones inside still work', async () => {
    for (const path of ['releases/x', 'releases/relative', 'releases/dir/key', 'releases/passwd']) {
      const response = await fetch(`${serve.url}${path}`);
      const body = await response.text();
      assert.equal(response.status, 404, path);
      assert.doesNotMatch(body, /host secret|private key|root:/, path);
    }
    const inside = await fetch(`${serve.url}releases/current/image.img`);
    assert.equal(inside.status, 200);
    assert.equal(await inside.text(), 'image bytes');
    assert.match(serve.log(), /refused "\/releases\/x": symlink leads outside the tree/);
  });

  test('error bodies name no path on the host', async () => {
    for (const path of ['releases/none.img', 'releases/dir', '..%2f..%2fsecret', 'releases/2026/']) {
      const response = await fetch(`${serve.url}${path}`, { redirect: 'manual' });
      const body = await response.text();
      assert.ok(response.status >= 400, `${path}: ${response.status}`);
      assert.ok(!body.includes(work) && !body.includes('/tmp'), `${path}: ${body}`);
      assert.match(body, /^\d{3} [A-Za-z ]+\n$/, path);
    }
  });

  test('a missing or non-directory tree fails at start with a clear error', async () => {
    const missing = await runSkiff(['mirror', 'serve', join(work, 'nope'), '--listen', '127.0.0.1:0']);
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /^mirror serve: .*nope does not exist/);
    const file = await runSkiff(['mirror', 'serve', join(work, 'secret'), '--listen', '127.0.0.1:0']);
    assert.equal(file.code, 1);
    assert.match(file.stderr, /secret is not a directory/);
  });
});
