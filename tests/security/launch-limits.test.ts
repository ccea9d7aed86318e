/**
 * Everything is checked before anything is made: sizes out of range are refused, naming the option, before a
 * name is reserved or an image fetched; an image that expands beyond the room on the data dir's filesystem
 * is a disk-full error (exit 2) that says which filesystem, and nothing is left behind. The full-disk case
 * mounts a small tmpfs, so it needs root.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { gzipSync } from 'node:zlib';
import { mirrorTree } from '../harness/mirror-fixture.js';
import { MirrorServer } from '../harness/mirror-server.js';
import { SkiffDaemon } from '../harness/skiff-process.js';

const MIB = 1024 * 1024;
const listDir = (dir: string) => readdir(dir).catch(() => [] as string[]);

describe('launch limits', () => {
  let mirror: MirrorServer;
  let daemon: SkiffDaemon;
  let work = '';
  before(async () => {
    work = await mkdtemp(join(tmpdir(), 'skiff-sec-limits-'));
    mirror = new MirrorServer({ tree: mirrorTree() });
    await mirror.start();
    daemon = await SkiffDaemon.start({ mirror: mirror.url, dataDir: join(work, 'data') });
  });
  after(async () => {
    await daemon?.stop({ keepData: true });
    await mirror?.close();
    if (work) await rm(work, { recursive: true, force: true });
  });

  test('0, 1e99G, more memory than the host and a disk over 4 TiB are refused before anything is made', async () => {
    const hostGib = Math.ceil(totalmem() / 2 ** 30) + 1;
    const cases: Array<[string[], RegExp]> = [
      [['-m', '0'], /--memory: 0 is below the minimum of 512M/],
      [['-d', '0'], /--disk: 0 is below the minimum of 1G/],
      [['-c', '0'], /--cpus: "0" is not a whole number/],
      [['-d', '1e99G'], /^1e99G is not a valid memory size - .*\(--disk\)/m],
      [['-m', `${hostGib}G`], /--memory: \d+G is more than this host's [\d.]+G of memory/],
      [['-d', '5T'], /--disk: 5T is above the maximum of 4T/],
    ];
    for (const [args, message] of cases) {
      const result = await daemon.cli(['launch', 'noble', '-n', 'limits', ...args]);
      assert.equal(result.code, 1, `${args.join(' ')}: ${result.stderr}`);
      assert.match(result.stderr, message);
    }
    assert.equal(mirror.requests.filter((r) => r.path.endsWith('.img')).length, 0, 'no image was fetched');
    const list = JSON.parse((await daemon.cli(['list', '--format', 'json'])).stdout) as { list: unknown[] };
    assert.deepEqual(list.list, []);
    assert.deepEqual(await listDir(join(daemon.dataDir, 'instances')), []);
  });
});

const root = process.getuid?.() === 0;
describe(
  'a filesystem too small for an image',
  { skip: root ? false : 'mounting a tmpfs needs root' },
  () => {
    test('a .gz expanding beyond the room is a disk-full error naming the filesystem; nothing stays', async () => {
      const work = await mkdtemp(join(tmpdir(), 'skiff-sec-full-'));
      const mount = join(work, 'tiny-fs');
      await mkdir(mount);
      const mirror = new MirrorServer({ tree: mirrorTree() });
      await mirror.start();
      // 640 MiB: launch's own check (a tenth of the disk and a margin) passes; the image does not fit.
      execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=640m', 'tmpfs', mount]);
      try {
        // 1 GiB of zeros, then a second gzip member of 1 KiB: the trailer records only the last member.
        const bomb = join(work, 'bomb.img.gz');
        const zeros = Buffer.alloc(64 * MIB);
        const member = gzipSync(zeros);
        await writeFile(
          bomb,
          Buffer.concat([...Array<Buffer>(16).fill(member), gzipSync(Buffer.alloc(1024))]),
        );
        const daemon = await SkiffDaemon.start({ mirror: mirror.url, dataDir: join(mount, 'data') });
        try {
          const launch = await daemon.cli(['launch', `file://${bomb}`, '-n', 'bomb', '-d', '1G']);
          assert.equal(launch.code, 2, launch.stderr);
          assert.match(
            launch.stderr,
            new RegExp(`the filesystem holding ${join(mount, 'data', 'vault')} is too small`),
          );
          assert.doesNotMatch(launch.stderr, /operation was aborted/);
          const vault = join(mount, 'data', 'vault');
          assert.deepEqual(await listDir(join(vault, 'images')), []);
          assert.deepEqual(await listDir(join(vault, 'partial')), []);
          assert.deepEqual(await listDir(join(mount, 'data', 'instances')), []);
        } finally {
          await daemon.stop({ keepData: true });
        }
      } finally {
        execFileSync('umount', ['-l', mount]);
        await mirror.close();
        await rm(work, { recursive: true, force: true });
      }
    });
  },
);
