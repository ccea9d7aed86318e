/**
 * @module Host paths looked at for the mounts service: resolved (realpath), inspected (lstat), and checked for
 * read and search rights as the user who asked. That check runs `test -r -a -x` in a child under that user's
 * ids (util-linux `setpriv`, with the user's supplementary groups when the user is in the passwd database), so
 * the kernel applies every rule it would apply to them (modes, ACLs, each parent's search bit); the daemon, as
 * root, could read anything. When the daemon already is that user, access() answers directly.
 */
import { constants } from 'node:fs';
import { access, lstat, realpath } from 'node:fs/promises';
import { SkiffError } from '../../core/errors.js';
import type { Caller, SourceAccess } from '../../services/mounts/ports.js';
import { asUser, exitCode, runsAs } from './run-as.js';

function missing(path: string, error: unknown): never {
  const code = (error as NodeJS.ErrnoException).code;
  if (code === 'ENOENT' || code === 'ENOTDIR')
    throw new SkiffError('not-found', `"${path}" does not exist`, { cause: error });
  throw new SkiffError('internal', `cannot look at "${path}": ${(error as Error).message}`, { cause: error });
}

export const hostSourceAccess: SourceAccess = {
  async resolve(path) {
    return realpath(path).catch((error: unknown) => missing(path, error));
  },

  async inspect(path) {
    const stats = await lstat(path).catch((error: unknown) => missing(path, error));
    return { directory: stats.isDirectory(), ownerUid: stats.uid };
  },

  async canRead(path: string, caller: Caller) {
    if (runsAs(caller))
      return access(path, constants.R_OK | constants.X_OK).then(
        () => true,
        () => false,
      );
    const [file, ...args] = await asUser(caller, ['test', '-r', path, '-a', '-x', path]);
    return (await exitCode(file!, args)) === 0;
  },
};
