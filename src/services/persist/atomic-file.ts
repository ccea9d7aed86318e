/**
 * @module Atomic file replacement: write a temp file beside the target, fsync it, rename it over the target,
 * fsync the directory. A reader (or a crash) sees the old file or the new one, never a torn one.
 */
import { randomBytes } from 'node:crypto';
import { copyFile, link, mkdir, open, readdir, rename, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

/**
 * Replaces `path` with `data` atomically, creating parent directories. With `previousAs`, the file being
 * replaced is kept under that name (same directory), so a reader can fall back to the last version.
 */
export async function writeFileAtomic(
  path: string,
  data: string | Buffer,
  mode = 0o644,
  options: { previousAs?: string } = {},
): Promise<void> {
  const dir = dirname(path);
  await mkdir(dir, { recursive: true });
  const temp = tempPathFor(path);
  try {
    const handle = await open(temp, 'w', mode);
    try {
      await handle.writeFile(data);
      await handle.sync();
    } finally {
      await handle.close();
    }
    if (options.previousAs !== undefined) await keepPrevious(path, options.previousAs);
    await rename(temp, path);
  } catch (error) {
    await rm(temp, { force: true });
    throw error;
  }
  await syncDir(dir);
}

/** Links (or, where links are not supported, copies) `path` to `previous`, replacing it atomically. */
async function keepPrevious(path: string, previous: string): Promise<void> {
  const temp = tempPathFor(previous);
  try {
    await link(path, temp);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return; // first write: nothing to keep
    if (code !== 'EPERM' && code !== 'ENOTSUP' && code !== 'EXDEV') throw error;
    await copyFile(path, temp);
  }
  await rename(temp, previous);
}

/** A hidden, unique temp name beside `path` (same filesystem, so rename is atomic). */
export function tempPathFor(path: string): string {
  return join(dirname(path), `.${basename(path)}.${randomBytes(6).toString('hex')}.tmp`);
}

/** fsync a directory, so a rename in it survives a power loss. */
export async function syncDir(dir: string): Promise<void> {
  const handle = await open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** Removes temp files that writes to `path` left when a crash interrupted them. Call when loading, not during writes. */
export async function removeTempFiles(path: string): Promise<void> {
  const prefix = `.${basename(path)}.`;
  const names = await readdir(dirname(path)).catch(() => [] as string[]);
  await Promise.all(
    names
      .filter((n) => n.startsWith(prefix) && n.endsWith('.tmp'))
      .map((n) => rm(join(dirname(path), n), { force: true })),
  );
}
