/**
 * @module State files that survive corruption. Each write keeps the version it replaces as `<file>.bak`;
 * loading checks the schema and every entry, drops entries that fail (saying which), and when the file as a
 * whole is unusable (torn, not JSON, another schema, wrong type) sets it aside as `<file>.corrupt-<time>` and
 * falls back to the backup. A broken file never stops the daemon and is never silently thrown away.
 */
import { copyFile, readFile, rename } from 'node:fs/promises';
import { SkiffError } from '../../core/errors.js';
import { readEnvelope, writeJsonAtomic } from './atomic-json.js';
import { removeTempFiles, writeFileAtomic } from './atomic-file.js';

/** What a decoder kept, and one line per entry it dropped (naming the entry and the problem). */
export interface Decoded<T> {
  value: T;
  dropped: string[];
}

/** Checks loaded data. @throws SkiffError when the data as a whole is unusable (then the backup is tried). */
export type StateDecoder<T> = (data: unknown) => Decoded<T>;

export interface StateLoad<T> {
  /** The data to use, or null when there was no file (or nothing usable: start empty). */
  value: T | null;
  /** `file`: read as is (maybe minus dropped entries); `backup`: the file was unusable, `.bak` was used. */
  source: 'file' | 'backup' | 'missing' | 'none-usable';
  /** What was wrong, one line each, for the daemon log. Empty when all was well. */
  problems: string[];
  /** Where the unusable (or partly dropped) file was kept for inspection, or null. */
  keptAs: string | null;
}

/** The backup name of a state file. */
export const backupPath = (path: string): string => `${path}.bak`;

/** Writes `{schema, data}` atomically, keeping the replaced version as `<path>.bak`. */
export function writeStateFile(path: string, schema: number, data: unknown): Promise<void> {
  return writeJsonAtomic(path, schema, data, { previousAs: backupPath(path) });
}

/**
 * Loads a state file (see the module comment). Never throws for bad content; only for I/O errors such as
 * EACCES, which no fallback can fix.
 */
export async function loadStateFile<T>(options: {
  path: string;
  schema: number;
  decode: StateDecoder<T>;
  /** Wall-clock ms, for the name of a file set aside. */
  now: number;
}): Promise<StateLoad<T>> {
  const { path, schema, decode } = options;
  await removeTempFiles(path);
  const main = await attempt(() => readEnvelope(path, schema), decode);
  if (main.kind === 'missing') return { value: null, source: 'missing', problems: [], keptAs: null };
  if (main.kind === 'ok') {
    if (main.decoded.dropped.length === 0)
      return { value: main.decoded.value, source: 'file', problems: [], keptAs: null };
    // The file stays in use; a copy keeps what was dropped for inspection.
    const keptAs = asideName(path, options.now);
    await copyFile(path, keptAs);
    return { value: main.decoded.value, source: 'file', problems: main.decoded.dropped, keptAs };
  }
  const keptAs = asideName(path, options.now);
  await rename(path, keptAs);
  const problems = [main.problem];
  const backup = await attempt(() => readEnvelope(backupPath(path), schema), decode);
  if (backup.kind !== 'ok') {
    problems.push(backup.kind === 'missing' ? 'no backup to fall back to' : `backup: ${backup.problem}`);
    return { value: null, source: 'none-usable', problems, keptAs };
  }
  // Put the backup back in place now: a crash before the next write must not find the file missing.
  await writeFileAtomic(path, await readFile(backupPath(path)));
  return {
    value: backup.decoded.value,
    source: 'backup',
    problems: [...problems, ...backup.decoded.dropped],
    keptAs,
  };
}

type Attempt<T> =
  { kind: 'ok'; decoded: Decoded<T> } | { kind: 'missing' } | { kind: 'unusable'; problem: string };

async function attempt<T>(
  read: () => Promise<{ data: unknown } | null>,
  decode: StateDecoder<T>,
): Promise<Attempt<T>> {
  let envelope: { data: unknown } | null;
  try {
    envelope = await read();
  } catch (error) {
    // readJson raises SkiffError for content problems; anything else (EACCES, EIO) is not ours to hide.
    if (!(error instanceof SkiffError)) throw error;
    return { kind: 'unusable', problem: error.message };
  }
  if (envelope === null) return { kind: 'missing' };
  try {
    return { kind: 'ok', decoded: decode(envelope.data) };
  } catch (error) {
    if (!(error instanceof SkiffError)) throw error;
    return { kind: 'unusable', problem: error.message };
  }
}

/** `<path>.corrupt-20261127T101500.123Z`: sorts by time, and no `:` to trip up tools. */
function asideName(path: string, now: number): string {
  const stamp = new Date(now).toISOString().replace(/[-:]/g, '');
  return `${path}.corrupt-${stamp}`;
}
