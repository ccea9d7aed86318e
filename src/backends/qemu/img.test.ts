import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, readdir, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { promisify } from 'node:util';
import type { SkiffError } from '../../core/errors.js';
import { findExecutable } from './process.js';
import {
  createOverlay,
  deleteSnapshotArgs,
  growImage,
  imageInfo,
  inspectImage,
  overlayCreateArgs,
  parseImageInfo,
  resizeArgs,
} from './img.js';

const run = promisify(execFile);
const MIB = 1024 * 1024;

test('argv builders', () => {
  assert.deepEqual(
    overlayCreateArgs({ path: '/i/disk.qcow2', baseImage: '/c/base.img', baseFormat: 'raw', sizeBytes: 5 }),
    [...['create', '-q', '-u', '-f', 'qcow2', '-F', 'raw', '-b', '/c/base.img', '/i/disk.qcow2', '5']],
  );
  assert.deepEqual(resizeArgs('/i/disk.qcow2', 2048), [
    'resize',
    '-q',
    '-f',
    'qcow2',
    '/i/disk.qcow2',
    '2048',
  ]);
  assert.deepEqual(deleteSnapshotArgs('/i/d.qcow2', 's'), ['snapshot', '-q', '-d', 's', '/i/d.qcow2']);
});

test('parseImageInfo: an overlay with a suspend snapshot (qemu-img 7.2 output)', () => {
  const info = parseImageInfo(
    JSON.stringify({
      snapshots: [{ 'vm-state-size': 9_052_160, name: 'skiff-suspend', 'vm-clock-sec': 8 }],
      'virtual-size': 2147483648,
      filename: '/i/disk.qcow2',
      'cluster-size': 65536,
      format: 'qcow2',
      'actual-size': 9_900_032,
      'full-backing-filename': '/c/base.qcow2',
      'backing-filename': '/c/base.qcow2',
      'backing-filename-format': 'qcow2',
      'dirty-flag': false,
    }),
  );
  assert.deepEqual(info, {
    format: 'qcow2',
    virtualBytes: 2147483648,
    actualBytes: 9_900_032,
    backingFile: '/c/base.qcow2',
    backingFormat: 'qcow2',
    dataFile: null,
    snapshots: [{ name: 'skiff-suspend', vmStateBytes: 9_052_160 }],
  });
  assert.throws(() => parseImageInfo('{}', '/x'), /qemu-img info \/x: missing format/);
  assert.throws(() => parseImageInfo('nope'), /not JSON/);
});

const qemuImg = await findExecutable('qemu-img');
describe('with the real qemu-img', { skip: qemuImg === null ? 'qemu-img is not installed' : false }, () => {
  let dir = '';
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'skiff-img-'));
    await run('qemu-img', ['create', '-q', '-f', 'raw', join(dir, 'base.raw'), String(64 * MIB)]);
    await run('qemu-img', ['create', '-q', '-f', 'qcow2', join(dir, 'base.qcow2'), String(64 * MIB)]);
  });
  after(() => rm(dir, { recursive: true, force: true }));

  for (const format of ['raw', 'qcow2']) {
    test(`an overlay on a ${format} base records the base and its format`, async () => {
      const path = join(dir, `over-${format}.qcow2`);
      await createOverlay({ path, baseImage: join(dir, `base.${format}`), sizeBytes: 256 * MIB });
      const info = await imageInfo(path);
      assert.equal(info.format, 'qcow2');
      assert.equal(info.virtualBytes, 256 * MIB);
      assert.equal(info.backingFile, join(dir, `base.${format}`));
      assert.equal(info.backingFormat, format);
      assert.ok(info.actualBytes > 0 && info.actualBytes < 2 * MIB, `allocated ${info.actualBytes}`);
      assert.deepEqual(info.snapshots, []);
    });
  }

  test('an overlay smaller than its base is refused and leaves nothing behind', async () => {
    const path = join(dir, 'small.qcow2');
    await assert.rejects(createOverlay({ path, baseImage: join(dir, 'base.raw'), sizeBytes: MIB }), {
      code: 'invalid-argument',
    });
    assert.deepEqual(
      (await readdir(dir)).filter((f) => f.includes('small')),
      [],
    );
  });

  test('a missing base fails with qemu-img stderr and no temp file', async () => {
    const path = join(dir, 'orphan.qcow2');
    await assert.rejects(
      createOverlay({ path, baseImage: join(dir, 'nope.img'), sizeBytes: MIB }),
      (error: Error) => {
        assert.match(error.message, /nope\.img/);
        return true;
      },
    );
    assert.deepEqual(
      (await readdir(dir)).filter((f) => f.includes('orphan')),
      [],
    );
  });

  test('growImage grows, is a no-op at the same size, and never shrinks', async () => {
    const path = join(dir, 'grow.qcow2');
    await createOverlay({ path, baseImage: join(dir, 'base.qcow2'), sizeBytes: 64 * MIB });
    await growImage({ path, sizeBytes: 1024 * MIB });
    assert.equal((await imageInfo(path)).virtualBytes, 1024 * MIB);
    await growImage({ path, sizeBytes: 1024 * MIB });
    await assert.rejects(growImage({ path, sizeBytes: 512 * MIB }), { code: 'invalid-argument' });
    assert.equal((await imageInfo(path)).virtualBytes, 1024 * MIB);
    assert.equal((await imageInfo(path)).backingFile, join(dir, 'base.qcow2'));
  });

  test('inspectImage reports a backing file and an external data file; createOverlay refuses such a base', async () => {
    const secret = join(dir, 'secret.raw');
    await run('qemu-img', ['create', '-q', '-f', 'raw', secret, String(MIB)]);
    const backed = join(dir, 'backed.qcow2');
    const external = join(dir, 'external.qcow2');
    await run('qemu-img', ['create', '-q', '-f', 'qcow2', '-F', 'raw', '-b', secret, backed]);
    await run('qemu-img', [
      'create',
      '-q',
      '-f',
      'qcow2',
      '-o',
      `data_file=${secret}`,
      external,
      String(MIB),
    ]);
    assert.deepEqual(await inspectImage(backed), {
      format: 'qcow2',
      backingFile: secret,
      dataFile: null,
      virtualBytes: MIB,
    });
    assert.deepEqual(await inspectImage(external), {
      format: 'qcow2',
      backingFile: null,
      dataFile: secret,
      virtualBytes: MIB,
    });
    assert.deepEqual(await inspectImage(join(dir, 'base.qcow2')), {
      format: 'qcow2',
      backingFile: null,
      dataFile: null,
      virtualBytes: 64 * MIB,
    });
    for (const [base, field] of [
      [backed, 'backing-filename'],
      [external, 'format-specific.data.data-file'],
    ] as const) {
      const path = join(dir, 'on-hostile.qcow2');
      await assert.rejects(
        createOverlay({ path, baseImage: base, sizeBytes: 64 * MIB }),
        (error: SkiffError) => {
          assert.equal(error.details?.field, field);
          return true;
        },
      );
      await assert.rejects(stat(path), { code: 'ENOENT' });
    }
  });

  test('imageInfo lists internal snapshots', async () => {
    const path = join(dir, 'snap.qcow2');
    await createOverlay({ path, baseImage: join(dir, 'base.qcow2'), sizeBytes: 64 * MIB });
    await run('qemu-img', ['snapshot', '-c', 'disk-only', path]);
    assert.deepEqual((await imageInfo(path)).snapshots, [{ name: 'disk-only', vmStateBytes: 0 }]);
  });
});
