/**
 * @module One `skiff mirror build` at a time per tree: an exclusive lock file holding the owner's pid.
 * A lock left by a process that no longer exists is taken over.
 */
import { mkdir, open, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { SkiffError } from '../core/errors.js';

export async function withTreeLock<T>(dir: string, work: () => Promise<T>): Promise<T> {
  await mkdir(dir, { recursive: true });
  const lock = join(dir, '.skiff-mirror.lock');
  await acquire(lock);
  try {
    return await work();
  } finally {
    await rm(lock, { force: true });
  }
}

async function acquire(lock: string): Promise<void> {
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const handle = await open(lock, 'wx');
      await handle.writeFile(String(process.pid));
      await handle.close();
      return;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      const owner = Number(await readFile(lock, 'utf8').catch(() => ''));
      if (Number.isInteger(owner) && owner > 0 && alive(owner)) {
        throw new SkiffError(
          'conflict',
          `another skiff mirror build (pid ${owner}) is writing this tree (${lock})`,
        );
      }
      await rm(lock, { force: true });
    }
  }
  throw new SkiffError('conflict', `cannot take the lock ${lock}`);
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
