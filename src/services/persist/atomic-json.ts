/**
 * @module JSON state files with a schema version, written atomically (temp file, fsync, rename, fsync dir),
 * so a crash at any instant leaves either the old file or the new one, never a torn one.
 */
import { readFile } from 'node:fs/promises';
import { SkiffError } from '../../core/errors.js';
import { removeTempFiles, writeFileAtomic } from './atomic-file.js';

interface Envelope<T> {
  schema: number;
  data: T;
}

/** Writes `{schema, data}` to `path` atomically (`previousAs`: see writeFileAtomic). */
export async function writeJsonAtomic(
  path: string,
  schema: number,
  data: unknown,
  options: { previousAs?: string } = {},
): Promise<void> {
  await writeFileAtomic(path, JSON.stringify({ schema, data } satisfies Envelope<unknown>), 0o644, options);
}

/** Reads a state file at load time, first clearing temp files that a crash during a write left behind. */
export async function loadJson<T>(path: string, schema: number): Promise<T | null> {
  await removeTempFiles(path);
  return readJson<T>(path, schema);
}

/**
 * Reads a file written by writeJsonAtomic. Returns null when it does not exist.
 * @throws SkiffError('internal') when it is not valid JSON or has another schema version.
 */
export async function readJson<T>(path: string, schema: number): Promise<T | null> {
  const envelope = await readEnvelope(path, schema);
  return envelope === null ? null : (envelope.data as T);
}

/**
 * Like readJson, but tells a missing file (null) from one that holds `data: null` (`{ data: null }`).
 * @throws SkiffError('internal') when it is not valid JSON, not an envelope, or has another schema version.
 */
export async function readEnvelope(path: string, schema: number): Promise<{ data: unknown } | null> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw error;
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new SkiffError('internal', `state file ${path} is not valid JSON`, { cause: error });
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed) || !('data' in parsed)) {
    throw new SkiffError('internal', `state file ${path} is not a {schema, data} object`);
  }
  const envelope = parsed as Partial<Envelope<unknown>>;
  if (envelope.schema !== schema) {
    throw new SkiffError(
      'internal',
      `state file ${path} has schema ${String(envelope.schema)}, expected ${schema}`,
    );
  }
  return { data: envelope.data };
}
