/**
 * End to end, under failure: corrupt and truncated downloads, a daemon killed with -9 during a launch and
 * during a delete, two launches racing for one name, a full disk. Each ends with a clear error or a consistent
 * state, and nothing half-made left behind.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { gzipSync } from 'node:zlib';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildSimplestreamsTree } from '../../src/testing/simplestreams-fixture.js';
import { fault, MirrorServer, type MirrorTree } from '../harness/mirror-server.js';
import { buildTestImage } from '../harness/qemu-test-vm.js';
import { SkiffDaemon, sleep } from '../harness/skiff-process.js';

const IMAGE_PATH = 'images/tiny.img';

function tree(image: Buffer, sha256: string): MirrorTree {
  const out: MirrorTree = {};
  for (const stream of ['releases', 'daily'] as const) {
    const files = buildSimplestreamsTree({
      stream,
      products: [
        {
          release: '24.04',
          codename: 'noble',
          title: '24.04 LTS',
          aliases: ['noble'],
          os: 'skiff-test',
          versions: [{ serial: '20261125', path: IMAGE_PATH, sizeBytes: image.length, sha256 }],
        },
      ],
    });
    for (const [path, body] of Object.entries(files)) out[`${stream}/${path}`] = body;
    out[`${stream}/${IMAGE_PATH}`] = image;
  }
  return out;
}

const names = async (daemon: SkiffDaemon) =>
  (
    JSON.parse((await daemon.cli(['list', '--format', 'json'])).stdout) as {
      list: Array<{ name: string; state: string }>;
    }
  ).list;

/** QEMU processes whose command line mentions this directory. */
function qemuFor(dir: string): number[] {
  try {
    return execFileSync('pgrep', ['-f', `qemu-system.*${dir}`], { encoding: 'utf8' })
      .trim()
      .split('\n')
      .filter(Boolean)
      .map(Number);
  } catch {
    return [];
  }
}

async function listDir(path: string): Promise<string[]> {
  return readdir(path).catch(() => []);
}

describe('failures end cleanly', { timeout: 15 * 60_000 }, () => {
  let image: Buffer;
  let sha: string;
  let work: string;
  let mirror: MirrorServer;

  before(async () => {
    image = await readFile(await buildTestImage());
    sha = createHash('sha256').update(image).digest('hex');
    work = await mkdtemp(join(tmpdir(), 'skiff-reliability-'));
    mirror = new MirrorServer({ tree: tree(image, sha) });
    await mirror.start();
  });
  after(async () => {
    await mirror?.close();
    if (work) await rm(work, { recursive: true, force: true });
  });

  test('a corrupt image (wrong sha256) fails with both hashes and leaves nothing', async () => {
    const bad = new MirrorServer({ tree: tree(image, 'f'.repeat(64)) });
    const daemon = await SkiffDaemon.start({ mirror: await bad.start() });
    try {
      const launch = await daemon.cli(['launch', 'noble', '-n', 'corrupt', '-m', '512M']);
      assert.equal(launch.code, 2, launch.stderr);
      assert.match(launch.stderr, /sha256/i);
      assert.ok(launch.stderr.includes('f'.repeat(64)) && launch.stderr.includes(sha), launch.stderr);
      assert.deepEqual(await names(daemon), []);
      assert.deepEqual(await listDir(join(daemon.dataDir, 'instances')), []);
      assert.deepEqual(
        (await listDir(join(daemon.dataDir, 'vault', 'images'))).filter((f) => !f.startsWith('.')),
        [],
      );
    } finally {
      await daemon.stop();
      await bad.close();
    }
  });

  test('a download cut halfway fails clearly, and the next launch resumes it with a Range request', async () => {
    const daemon = await SkiffDaemon.start({ mirror: mirror.url });
    try {
      mirror.setFault({ ...fault.truncate(), times: 1 }, `releases/${IMAGE_PATH}`);
      mirror.clearRequests();
      const first = await daemon.cli(['launch', 'noble', '-n', 'resumed', '-m', '512M']);
      assert.notEqual(first.code, 0);
      assert.match(first.stderr, /resumed|connection|closed|reset|truncat|incomplete/i);
      assert.deepEqual(await names(daemon), []);
      const second = await daemon.cli(['launch', 'noble', '-n', 'resumed', '-m', '512M']);
      assert.equal(second.code, 0, second.stderr);
      const gets = mirror.requests.filter((r) => r.path.endsWith(IMAGE_PATH));
      assert.equal(gets.length, 2);
      assert.match(String(gets[1]!.headers.range), /^bytes=\d+-$/);
      assert.ok(
        Number(/\d+/.exec(String(gets[1]!.headers.range))![0]) > 0,
        'resumed from the bytes already there',
      );
      await daemon.cli(['delete', '--purge', 'resumed']);
    } finally {
      mirror.clearFaults();
      await daemon.stop();
    }
  });

  test('kill -9 during a launch: the restarted daemon undoes it, with no VM or files left', async () => {
    const dataDir = join(work, 'kill-launch');
    let daemon = await SkiffDaemon.start({ mirror: mirror.url, dataDir });
    const { done } = daemon.cliStart(['launch', 'noble', '-n', 'interrupted', '-m', '512M']);
    for (
      let i = 0;
      i < 400 &&
      !daemon.logs().includes('"state":"Starting"') &&
      qemuFor(join(dataDir, 'instances', 'interrupted')).length === 0;
      i++
    )
      await sleep(25);
    await daemon.signal('SIGKILL');
    await done;
    daemon = await SkiffDaemon.start({ mirror: mirror.url, dataDir });
    try {
      assert.deepEqual(await names(daemon), []);
      assert.deepEqual(qemuFor(join(dataDir, 'instances', 'interrupted')), []);
      assert.deepEqual(await listDir(join(dataDir, 'instances')), []);
      const again = await daemon.cli(['launch', 'noble', '-n', 'interrupted', '-m', '512M']);
      assert.equal(again.code, 0, again.stderr);
      await daemon.cli(['delete', '--purge', 'interrupted']);
    } finally {
      await daemon.stop();
    }
  });

  test('kill -9 during a delete: after a restart the record, the directory and QEMU agree', async () => {
    const dataDir = join(work, 'kill-delete');
    let daemon = await SkiffDaemon.start({ mirror: mirror.url, dataDir });
    assert.equal((await daemon.cli(['launch', 'noble', '-n', 'doomed', '-m', '512M'])).code, 0);
    const { done } = daemon.cliStart(['delete', '--purge', 'doomed']);
    await sleep(150);
    await daemon.signal('SIGKILL');
    await done;
    daemon = await SkiffDaemon.start({ mirror: mirror.url, dataDir });
    try {
      const listed = (await names(daemon)).find((i) => i.name === 'doomed');
      const dirExists = (await listDir(join(dataDir, 'instances'))).includes('doomed');
      if (listed) {
        assert.ok(dirExists, 'a listed instance still has its disk');
        assert.ok(['Running', 'Stopped', 'Deleted'].includes(listed.state), listed.state);
        assert.equal((await daemon.cli(['delete', '--purge', 'doomed'])).code, 0);
      }
      assert.deepEqual(
        (await names(daemon)).filter((i) => i.name === 'doomed'),
        [],
      );
      assert.equal((await listDir(join(dataDir, 'instances'))).includes('doomed'), false);
      assert.deepEqual(qemuFor(join(dataDir, 'instances', 'doomed')), []);
    } finally {
      await daemon.stop();
    }
  });

  test('two concurrent launches with one name: one succeeds, the other gets a conflict', async () => {
    const daemon = await SkiffDaemon.start({ mirror: mirror.url });
    try {
      const a = daemon.cliStart(['launch', 'noble', '-n', 'twin', '-m', '512M']);
      const b = daemon.cliStart(['launch', 'noble', '-n', 'twin', '-m', '512M']);
      const results = await Promise.all([a.done, b.done]);
      assert.deepEqual(results.map((r) => r.code).sort(), [0, 2]);
      assert.match(results.find((r) => r.code === 2)!.stderr, /"twin" already exists/);
      assert.deepEqual(
        (await names(daemon)).map((i) => i.name),
        ['twin'],
      );
      await daemon.cli(['delete', '--purge', 'twin']);
    } finally {
      await daemon.stop();
    }
  });

  test('launch from an http:// URL and from a gzipped file:// path', async () => {
    const daemon = await SkiffDaemon.start({ mirror: mirror.url });
    try {
      const byUrl = await daemon.cli([
        'launch',
        `${mirror.url}releases/${IMAGE_PATH}`,
        '-n',
        'from-url',
        '-m',
        '512M',
      ]);
      assert.equal(byUrl.code, 0, byUrl.stderr);
      const gz = join(work, 'tiny.img.gz');
      await writeFile(gz, gzipSync(image, { level: 1 }));
      const byFile = await daemon.cli(['launch', `file://${gz}`, '-n', 'from-file', '-m', '512M']);
      assert.equal(byFile.code, 0, byFile.stderr);
      assert.deepEqual(
        (await names(daemon)).map((i) => [i.name, i.state]),
        [
          ['from-file', 'Running'],
          ['from-url', 'Running'],
        ],
      );
      const info = JSON.parse((await daemon.cli(['info', 'from-file', '--format', 'json'])).stdout) as {
        info: Record<string, { image_hash: string }>;
      };
      assert.equal(info.info['from-file']!.image_hash, sha, 'the decompressed image is the same bytes');
      for (const name of ['from-url', 'from-file']) await daemon.cli(['delete', '--purge', name]);
    } finally {
      await daemon.stop();
    }
  });

  test('a full disk (a small tmpfs data dir) is refused up front with a clear error', async () => {
    const mount = join(work, 'tiny-fs');
    await mkdir(mount, { recursive: true });
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=48m', 'tmpfs', mount]);
    try {
      const daemon = await SkiffDaemon.start({ mirror: mirror.url, dataDir: join(mount, 'data') });
      try {
        const launch = await daemon.cli(['launch', 'noble', '-n', 'full', '-m', '512M']);
        assert.equal(launch.code, 2, launch.stderr);
        assert.match(launch.stderr, /not enough free disk space .* MiB free, about \d+ MiB needed/);
        assert.deepEqual(await names(daemon), []);
        assert.deepEqual(await listDir(join(mount, 'data', 'instances')), []);
      } finally {
        await daemon.stop({ keepData: true });
      }
    } finally {
      execFileSync('umount', ['-l', mount]);
    }
  });
});
