/**
 * Decompression against a full disk and a stream bigger than its archive says: the errors name the real
 * cause (ENOSPC, the cap), never the decompressor's "operation was aborted" or a broken pipe.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { isSkiffError } from '../../core/errors.js';
import { decompressFile, expandedSize } from './local-source.js';
import { WriterThread } from './writer-thread.js';

const MIB = 1024 * 1024;
let dir: string;
const writer = new WriterThread();
const data = Buffer.concat([randomBytes(2 * MIB), Buffer.alloc(6 * MIB, 3)]);
before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'skiff-local-'));
  await writeFile(join(dir, 'img.gz'), gzipSync(data));
  await writeFile(join(dir, 'img'), data);
  execFileSync('xz', ['-k', '-0', join(dir, 'img')]);
  // Two gzip members: the trailer records only the last one's size (1 KiB), the stream holds 8 MiB more.
  await writeFile(join(dir, 'lying.gz'), Buffer.concat([gzipSync(data), gzipSync(Buffer.alloc(1024))]));
});
after(async () => {
  await writer.close();
  await rm(dir, { recursive: true, force: true });
});

describe('expandedSize', () => {
  test('xz records the exact size; gzip its trailer, as an estimate', async () => {
    assert.deepEqual(await expandedSize(join(dir, 'img.xz'), 'xz'), { bytes: data.length, exact: true });
    assert.deepEqual(await expandedSize(join(dir, 'img.gz'), 'gz'), { bytes: data.length, exact: false });
    // 1 KiB from 2 MiB of deflate is impossible: the smallest consistent size is a wrap of the 32-bit field.
    assert.deepEqual(await expandedSize(join(dir, 'lying.gz'), 'gz'), {
      bytes: 2 ** 32 + 1024,
      exact: false,
    });
  });

  test('a file that is no archive is a SkiffError naming it', async () => {
    await assert.rejects(expandedSize(join(dir, 'img'), 'xz'), (error: unknown) => {
      assert.ok(isSkiffError(error));
      assert.equal(error.code, 'invalid-argument');
      assert.match(error.message, /cannot decompress .*img: xz --list/);
      return true;
    });
  });
});

for (const format of ['gz', 'xz'] as const)
  describe(`decompressFile (${format})`, () => {
    test('a full disk is ENOSPC, not the decompressor giving up', async () => {
      // Every write to /dev/full fails with ENOSPC, as on a full filesystem.
      const dest = join(dir, `full-${format}`);
      await symlink('/dev/full', dest);
      const error = await decompressFile({ src: join(dir, `img.${format}`), dest, format }, { writer }).then(
        () => assert.fail('nothing can be written'),
        (e: unknown) => e as NodeJS.ErrnoException,
      );
      assert.equal(error.code, 'ENOSPC', String(error));
    });

    test('output past maxBytes stops with reason too-large', async () => {
      const src = format === 'gz' ? join(dir, 'lying.gz') : join(dir, 'img.xz');
      await assert.rejects(
        decompressFile({ src, dest: join(dir, `capped-${format}`), format, maxBytes: MIB }, { writer }),
        (error: unknown) => {
          assert.ok(isSkiffError(error), String(error));
          assert.equal(error.details?.reason, 'too-large');
          assert.match(error.message, new RegExp(`expands to more than ${MIB} bytes`));
          return true;
        },
      );
    });
  });
