/**
 * @module Running a helper as the user who asked rather than as the daemon (root): util-linux `setpriv` with that
 * user's uid, gid and supplementary groups (when the uid is in the passwd database; a uid without an entry
 * gets none), so the kernel applies to it every rule it applies to that user.
 */
import { execFile } from 'node:child_process';
import type { Caller } from '../../services/mounts/ports.js';

/** A clean PATH for helpers the daemon runs (the caller's environment never reaches them). */
export const HELPER_ENV = { PATH: '/usr/sbin:/usr/bin:/sbin:/bin' };

/** Exit code of `file args` (-1 when it could not run or timed out). Never throws. */
export function exitCode(file: string, args: readonly string[], timeoutMs = 10_000): Promise<number> {
  return new Promise((resolve) => {
    execFile(file, [...args], { timeout: timeoutMs, env: HELPER_ENV }, (error) =>
      resolve(error === null ? 0 : typeof error.code === 'number' ? error.code : -1),
    );
  });
}

/** Whether the daemon already runs as exactly `caller` (then no setpriv is needed). */
export const runsAs = (caller: Caller): boolean =>
  process.getuid?.() === caller.uid && process.getgid?.() === caller.gid;

/**
 * `[file, ...args]` that runs `argv` as `caller`: `argv` itself when the daemon is that user already.
 * @example await asUser({ uid: 1000, gid: 1000 }, ['test', '-r', '/x']) // ['setpriv', '--reuid', '1000', ...]
 */
export async function asUser(caller: Caller, argv: readonly string[]): Promise<string[]> {
  if (runsAs(caller)) return [...argv];
  const known = (await exitCode('getent', ['passwd', String(caller.uid)])) === 0;
  const groups = known ? ['--init-groups'] : ['--clear-groups'];
  return ['setpriv', '--reuid', String(caller.uid), '--regid', String(caller.gid), ...groups, '--', ...argv];
}
