/**
 * @module Keeping a directory tree to its owner: the data dir of a root daemon holds images (any file a user
 * once launched from), disks, the SSH key and state, none of it for other users. Installs made before skiff
 * set modes this strictly are fixed at start.
 */
import { chmod, lstat, mkdir, readdir } from 'node:fs/promises';
import { join } from 'node:path';

const GROUP_OTHER_BITS = 0o077;

/**
 * Creates `dir` (mode 0700) when absent, then removes the group and other permission bits from it and
 * everything below it. Symlinks are neither followed nor changed. @returns how many entries were changed.
 */
export async function makePrivate(dir: string): Promise<number> {
  await mkdir(dir, { recursive: true, mode: 0o700 });
  return restrict(dir);
}

async function restrict(path: string): Promise<number> {
  const info = await lstat(path).catch(() => null);
  if (info === null || info.isSymbolicLink()) return 0;
  let changed = 0;
  if ((info.mode & GROUP_OTHER_BITS) !== 0) {
    await chmod(path, info.mode & 0o7777 & ~GROUP_OTHER_BITS);
    changed += 1;
  }
  if (info.isDirectory()) {
    for (const name of await readdir(path).catch(() => [])) changed += await restrict(join(path, name));
  }
  return changed;
}
