/**
 * @module JSON state files with a schema version, written atomically (temp file, fsync, rename, fsync dir),
 * so a crash at any instant leaves either the old file or the new one, never a torn one.
 */
import { mkdir, open, readFile, rename, rm } from 'node:fs/promises';
import { dirname, basename, join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { SkiffError } from '../../core/errors.js';

interface Envelope<T> {
  schema: number;
  data: T;
}

/** Writes `{schema, data}` to `path` atomically. */
export async function writeJsonAtomic(path: string, schema: number, data: unknown): Promise<void> {
  const dir = dirname(path);
  await mkdir(dir, { recursive: true });
  const temp = join(dir, `.${basename(path)}.${randomBytes(6).toString('hex')}.tmp`);
  const body = JSON.stringify({ schema, data } satisfies Envelope<unknown>);
  try {
    const handle = await open(temp, 'w', 0o640);
    try {
      await handle.writeFile(body);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(temp, path);
  } catch (error) {
    await rm(temp, { force: true });
    throw error;
  }
  await syncDir(dir);
}

/**
 * Reads a file written by writeJsonAtomic. Returns null when it does not exist.
 * @throws SkiffError('internal') when it is not valid JSON or has another schema version.
 */
export async function readJson<T>(path: string, schema: number): Promise<T | null> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw error;
  }
  let parsed: Partial<Envelope<T>>;
  try {
    parsed = JSON.parse(text) as Partial<Envelope<T>>;
  } catch (error) {
    throw new SkiffError('internal', `state file ${path} is not valid JSON`, { cause: error });
  }
  if (parsed.schema !== schema) {
    throw new SkiffError(
      'internal',
      `state file ${path} has schema ${String(parsed.schema)}, expected ${schema}`,
    );
  }
  return parsed.data as T;
}

async function syncDir(dir: string): Promise<void> {
  const handle = await open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}
