import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { promisify } from 'node:util';
import { isoExtractArgs, isoListArgs } from '../iso/seed-read.js';
import { flattenCopyArgs } from './clone-disk.js';
import { QemuDriver } from './driver.js';
import { imageInfo } from './img.js';
import { findExecutable } from './process.js';

const run = promisify(execFile);
const MIB = 2 ** 20;

test('flattenCopyArgs: qcow2 to a standalone qcow2, the source format never probed', () => {
  assert.deepEqual(flattenCopyArgs('/a/disk.qcow2', '/b/.tmp'), [
    'convert',
    '-q',
    '-f',
    'qcow2',
    '-t',
    'writeback',
    '-O',
    'qcow2',
    '/a/disk.qcow2',
    '/b/.tmp',
  ]);
});

test('isoinfo argv: list and extract by Rock Ridge name', () => {
  assert.deepEqual(isoListArgs('/d/seed.iso'), ['-R', '-f', '-i', '/d/seed.iso']);
  assert.deepEqual(isoExtractArgs('/d/seed.iso', 'meta-data'), [
    '-R',
    '-i',
    '/d/seed.iso',
    '-x',
    '/meta-data',
  ]);
});

const tools = await Promise.all(['qemu-img', 'isoinfo', 'genisoimage'].map((tool) => findExecutable(tool)));
describe(
  'the qemu driver clones with the real qemu-img and isoinfo',
  {
    skip: tools.includes(null) ? 'needs qemu-img, isoinfo and genisoimage' : false,
  },
  () => {
    let dir = '';
    let driver: QemuDriver;
    const seed = {
      'meta-data': 'instance-id: a-1\n',
      'user-data': '#cloud-config\n{}\n',
      'network-config': 'version: 2\n',
    };
    before(async () => {
      dir = await mkdtemp(join(tmpdir(), 'skiff-clone-disk-'));
      // A base whose first bytes are known, so the copy can be checked to carry them.
      const base = Buffer.alloc(8 * MIB);
      base.write('SKIFF-BASE', 0);
      await writeFile(join(dir, 'base.raw'), base);
      driver = new QemuDriver({ root: join(dir, 'instances') });
      await driver
        .instance('a')
        .create({ baseImage: join(dir, 'base.raw'), diskBytes: 32 * MIB, cloudInit: seed });
      // A snapshot of the source (a suspend state would be one too): never copied.
      await run('qemu-img', ['snapshot', '-c', 'snap1', join(dir, 'instances', 'a', 'disk.qcow2')]);
    });
    after(() => rm(dir, { recursive: true, force: true }));

    test('the seed reads back as written, network-config included', async () => {
      assert.deepEqual(await driver.instance('a').seed!.read(), seed);
    });

    test('a clone: a standalone disk (no base, no snapshots) of the same size, its own seed', async () => {
      const cloneSeed = {
        'meta-data': 'instance-id: b-2\nlocal-hostname: b\n',
        'user-data': seed['user-data'],
      };
      await driver.instance('a').cloner!.cloneTo('b', cloneSeed);
      const info = await imageInfo(join(dir, 'instances', 'b', 'disk.qcow2'));
      assert.equal(info.format, 'qcow2');
      assert.equal(info.backingFile, null);
      assert.deepEqual(info.snapshots, []);
      assert.equal(info.virtualBytes, 32 * MIB);
      assert.ok(info.actualBytes < 8 * MIB, `sparse copy: ${info.actualBytes} bytes allocated`);
      assert.deepEqual(await driver.instance('b').seed!.read(), cloneSeed);
      assert.deepEqual((await readdir(join(dir, 'instances', 'b'))).sort(), ['disk.qcow2', 'seed.iso']);
      // The source and its base gone, the clone's disk still holds the base's bytes.
      await driver.instance('a').destroy();
      await rm(join(dir, 'base.raw'));
      await run('qemu-img', [
        'convert',
        '-f',
        'qcow2',
        '-O',
        'raw',
        join(dir, 'instances', 'b', 'disk.qcow2'),
        join(dir, 'b.raw'),
      ]);
      assert.equal((await readFile(join(dir, 'b.raw'))).subarray(0, 10).toString(), 'SKIFF-BASE');
    });

    test('to an existing instance: refused, that instance untouched', async () => {
      const before = await readdir(join(dir, 'instances', 'b'));
      await driver.instance('c').create({
        baseImage: join(dir, 'b.raw'),
        diskBytes: 32 * MIB,
        cloudInit: seed,
      });
      await assert.rejects(driver.instance('c').cloner!.cloneTo('b', seed), { code: 'conflict' });
      assert.deepEqual(await readdir(join(dir, 'instances', 'b')), before);
    });

    test('a failed copy leaves no directory behind', async () => {
      await assert.rejects(driver.instance('gone').cloner!.cloneTo('d', seed));
      assert.deepEqual((await readdir(join(dir, 'instances'))).sort(), ['b', 'c']);
    });
  },
);
