/**
 * @module A clone's disk: `qemu-img convert` of a stopped instance's overlay into a new, self-contained qcow2.
 * Reading through the overlay flattens the backing chain (the clone needs neither the source nor the cached
 * base image), and convert copies only the active layer, so internal snapshots (a suspend state, snapshots)
 * stay behind. Unallocated and zero clusters are skipped, so the copy is as sparse as the data allows.
 */
import { rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { SkiffError } from '../../core/errors.js';
import { baseImageOf } from './backend.js';
import { imageInfo, qemuImg } from './img.js';
import { VM_FILES } from './machine.js';

/** Pure: argv copying the qcow2 `from` (and everything under it) into the standalone qcow2 `to`. */
export function flattenCopyArgs(from: string, to: string): string[] {
  // -f: the overlay's format is skiff's own, never probed; its backing format is recorded in it. -t writeback:
  // convert's default (`unsafe`) never flushes, and the clone is recorded as made once this returns.
  return ['convert', '-q', '-f', 'qcow2', '-t', 'writeback', '-O', 'qcow2', from, to];
}

/**
 * Writes `toDir/disk.qcow2` as a full copy of `fromDir/disk.qcow2` (a temp name renamed into place, so the
 * disk exists only when complete). The caller makes sure no VM runs on `fromDir`. The base under the source
 * is checked again first, as before every start. @throws SkiffError internal, invalid-argument
 */
export async function cloneDisk(options: { fromDir: string; toDir: string }): Promise<void> {
  const from = join(options.fromDir, VM_FILES.disk);
  const to = join(options.toDir, VM_FILES.disk);
  await baseImageOf(from);
  const temp = join(options.toDir, `.${VM_FILES.disk}.${process.pid}.tmp`);
  try {
    await qemuImg(flattenCopyArgs(from, temp), `copying the disk ${from} to ${to}`);
    const copy = await imageInfo(temp);
    if (copy.backingFile !== null)
      throw new SkiffError(
        'internal',
        `the copy of ${from} still names a backing file (${copy.backingFile})`,
      );
    await rename(temp, to);
  } catch (error) {
    await rm(temp, { force: true });
    throw error;
  }
}
