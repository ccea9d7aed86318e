/**
 * @module Reads the NoCloud files back out of a seed ISO that seed-iso.ts wrote, with `isoinfo` (from the
 * genisoimage package, which also writes seeds), by their Rock Ridge names. Clone and per-instance settings
 * rewrite an instance's seed from what it holds, since the user's user-data is kept nowhere else.
 */
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { MissingDependencyError, SkiffError } from '../../core/errors.js';
import type { CloudInitData } from '../../services/instances/ports.js';
import { SEED_ISO } from './seed-iso.js';

const run = promisify(execFile);

/** The files a seed may hold, as skiff writes them. */
const SEED_FILES = ['meta-data', 'user-data', 'network-config'] as const;
/** A seed is a few KiB; user-data is bounded by what launch accepts. */
const MAX_FILE_BYTES = 16 * 2 ** 20;

/** Pure: isoinfo argv listing the files of `iso` (Rock Ridge names, one `/name` a line). */
export function isoListArgs(iso: string): string[] {
  return ['-R', '-f', '-i', iso];
}

/** Pure: isoinfo argv writing the file `/name` of `iso` to stdout. */
export function isoExtractArgs(iso: string, name: string): string[] {
  return ['-R', '-i', iso, '-x', `/${name}`];
}

async function isoinfo(args: string[], doing: string): Promise<string> {
  try {
    return (await run('isoinfo', args, { maxBuffer: MAX_FILE_BYTES, encoding: 'utf8' })).stdout;
  } catch (error) {
    const e = error as NodeJS.ErrnoException & { stderr?: string };
    if (e.code === 'ENOENT')
      throw new MissingDependencyError('isoinfo not found on PATH: install the genisoimage package', {
        program: 'isoinfo',
        package: 'genisoimage',
        cause: error,
      });
    throw new SkiffError('internal', `${doing}: ${(e.stderr ?? '').trim() || e.message}`, { cause: error });
  }
}

/**
 * The cloud-init files of `dir/seed.iso`. @throws SkiffError internal when it cannot be read or lacks
 * meta-data or user-data; MissingDependencyError without isoinfo
 */
export async function readSeedIso(dir: string): Promise<CloudInitData> {
  const iso = join(dir, SEED_ISO);
  const listed = new Set(
    (await isoinfo(isoListArgs(iso), `listing the cloud-init seed ${iso}`))
      .split('\n')
      .map((line) => line.trim().replace(/^\//, '')),
  );
  const files: Partial<Record<(typeof SEED_FILES)[number], string>> = {};
  for (const name of SEED_FILES) {
    if (listed.has(name))
      files[name] = await isoinfo(isoExtractArgs(iso, name), `reading ${name} from the seed ${iso}`);
  }
  if (files['meta-data'] === undefined || files['user-data'] === undefined)
    throw new SkiffError('internal', `the cloud-init seed ${iso} has no meta-data or user-data`);
  return {
    'meta-data': files['meta-data'],
    'user-data': files['user-data'],
    ...(files['network-config'] === undefined ? {} : { 'network-config': files['network-config'] }),
  };
}
