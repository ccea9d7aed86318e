/**
 * @module Writes the NoCloud seed `dir/seed.iso` (ISO9660, volume label `cidata`, Joliet + Rock Ridge) with
 * genisoimage, or xorriso in mkisofs mode when genisoimage is absent. The files are staged in a temp dir and
 * the ISO is built under a temp name and renamed, so `seed.iso` is always either the old or the new seed.
 */
import { execFile } from 'node:child_process';
import { constants } from 'node:fs';
import { access, mkdtemp, rename, rm, writeFile } from 'node:fs/promises';
import { delimiter, join } from 'node:path';
import { promisify } from 'node:util';
import { MissingDependencyError, SkiffError } from '../../core/errors.js';
import type { CloudInitData } from '../../services/instances/ports.js';

const run = promisify(execFile);

/** The seed's file name in the directory it is written to. */
export const SEED_ISO = 'seed.iso';

/** The NoCloud volume label cloud-init looks for. */
export const SEED_VOLUME_LABEL = 'cidata';

/** An ISO tool and how to call it in mkisofs style. */
export interface IsoTool {
  binary: string;
  /** Arguments placed before the mkisofs-style options (`-as mkisofs` for xorriso). */
  prefix: string[];
}

/** Pure: mkisofs-style argv writing `output` from `files` (paths), labelled cidata with Joliet + Rock Ridge. */
export function isoArgs(tool: IsoTool, output: string, files: string[]): string[] {
  return [
    ...tool.prefix,
    '-quiet',
    '-output',
    output,
    '-volid',
    SEED_VOLUME_LABEL,
    '-joliet',
    '-rock',
    ...files,
  ];
}

async function onPath(name: string): Promise<string | null> {
  for (const dir of (process.env.PATH ?? '').split(delimiter).filter(Boolean)) {
    try {
      await access(join(dir, name), constants.X_OK);
      return join(dir, name);
    } catch {
      // next PATH entry
    }
  }
  return null;
}

/** genisoimage, else xorriso -as mkisofs. @throws MissingDependencyError naming the apt package */
export async function findIsoTool(): Promise<IsoTool> {
  const genisoimage = await onPath('genisoimage');
  if (genisoimage !== null) return { binary: genisoimage, prefix: [] };
  const xorriso = await onPath('xorriso');
  if (xorriso !== null) return { binary: xorriso, prefix: ['-as', 'mkisofs'] };
  throw new MissingDependencyError(
    'no ISO tool to write the cloud-init seed: install the genisoimage package (or xorriso)',
    { program: 'genisoimage', package: 'genisoimage' },
  );
}

/**
 * Writes `dir/seed.iso` holding `files`. Atomic: a crash leaves the previous seed (or none), never half a one.
 * @throws SkiffError internal with the tool's stderr
 */
export async function writeSeedIso(options: {
  dir: string;
  files: CloudInitData;
  tool?: IsoTool;
}): Promise<string> {
  const tool = options.tool ?? (await findIsoTool());
  const output = join(options.dir, SEED_ISO);
  const staging = await mkdtemp(join(options.dir, '.seed-'));
  const temp = `${output}.${process.pid}.tmp`;
  try {
    const names = Object.entries(options.files)
      .filter((entry): entry is [string, string] => typeof entry[1] === 'string')
      .map(([name]) => name);
    await Promise.all(
      names.map((name) => writeFile(join(staging, name), options.files[name as keyof CloudInitData] ?? '')),
    );
    try {
      await run(
        tool.binary,
        isoArgs(
          tool,
          temp,
          names.map((name) => join(staging, name)),
        ),
      );
    } catch (error) {
      const stderr = ((error as { stderr?: string }).stderr ?? '').trim() || (error as Error).message;
      throw new SkiffError('internal', `writing the cloud-init seed ${output}: ${stderr}`, { cause: error });
    }
    await rename(temp, output);
    return output;
  } finally {
    await Promise.all([rm(staging, { recursive: true, force: true }), rm(temp, { force: true })]);
  }
}
