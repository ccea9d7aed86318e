/**
 * @module Host paths looked at for the mounts service: resolved (realpath), inspected (lstat), and checked for
 * read and search rights as the user who asked. That check runs `test -r -a -x` in a child under that user's
 * ids (util-linux `setpriv`, with the user's supplementary groups when the user is in the passwd database), so
 * the kernel applies every rule it would apply to them (modes, ACLs, each parent's search bit); the daemon, as
 * root, could read anything. When the daemon already is that user, access() answers directly.
 */
import { execFile } from 'node:child_process';
import { constants } from 'node:fs';
import { access, lstat, realpath } from 'node:fs/promises';
import { SkiffError } from '../../core/errors.js';
import type { Caller, SourceAccess } from '../../services/mounts/ports.js';

const TIMEOUT_MS = 10_000;
const ENV = { PATH: '/usr/sbin:/usr/bin:/sbin:/bin' };

function run(file: string, args: string[]): Promise<number> {
  return new Promise((resolve) => {
    execFile(file, args, { timeout: TIMEOUT_MS, env: ENV }, (error) =>
      resolve(error === null ? 0 : typeof error.code === 'number' ? error.code : -1),
    );
  });
}

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
    if (process.getuid?.() === caller.uid && process.getgid?.() === caller.gid)
      return access(path, constants.R_OK | constants.X_OK).then(
        () => true,
        () => false,
      );
    // --init-groups needs a passwd entry for the uid; a uid without one has no supplementary groups.
    const known = (await run('getent', ['passwd', String(caller.uid)])) === 0;
    const groups = known ? ['--init-groups'] : ['--clear-groups'];
    const args = ['--reuid', String(caller.uid), '--regid', String(caller.gid), ...groups];
    return (await run('setpriv', [...args, '--', 'test', '-r', path, '-a', '-x', path])) === 0;
  },
};
