/**
 * @module The source of a mount, as the CLI hands it to the daemon: read with the calling user's own rights,
 * resolved to its real absolute path (the daemon refuses one that resolves differently when it looks), and
 * checked to be a readable directory, with Multipass's messages (a command-line error: exit 1).
 */
import { constants } from 'node:fs';
import { access, realpath, stat } from 'node:fs/promises';
import { SkiffError } from '../core/errors.js';

const invalid = (message: string) =>
  new SkiffError('invalid-argument', message, { details: { field: 'source' } });

export async function resolveMountSource(path: string): Promise<string> {
  let real: string;
  try {
    real = await realpath(path);
  } catch {
    throw invalid(`Source path "${path}" does not exist`);
  }
  if (!(await stat(real)).isDirectory()) throw invalid(`Source path "${path}" is not a directory`);
  try {
    await access(real, constants.R_OK | constants.X_OK);
  } catch {
    throw invalid(`Source path "${path}" is not readable`);
  }
  return real;
}
