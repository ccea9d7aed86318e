/**
 * @module Asks a guest, in one SSH round trip and before anything is copied, what its paths are: a
 * directory, a file (with its size), or missing. Paths travel as shell-quoted arguments to `sh -c`, never as
 * script text, so no path can run anything in the guest.
 */
import { spawn } from 'node:child_process';
import { SkiffError } from '../../core/errors.js';
import { SSH_BINARY, sshExecArgs, type SshTarget } from '../../core/ssh-args.js';
import { spawnError } from '../ssh-session.js';

export type GuestPathKind =
  { kind: 'dir' } | { kind: 'file'; sizeBytes: number | null } | { kind: 'missing' };

/** Prints one line per argument: `d`, `n`, or `f SIZE` (`f ?` when stat is missing). Relative to $HOME. */
export const PROBE_SCRIPT =
  'cd || exit 1; for p in "$@"; do ' +
  'if [ -d "$p" ]; then echo d; ' +
  'elif [ -e "$p" ]; then echo "f $(stat -L -c %s -- "$p" 2>/dev/null || echo ?)"; ' +
  'else echo n; fi; done';

/** Parses PROBE_SCRIPT's output for `count` paths. @throws SkiffError `internal` on anything else. */
export function parseProbe(stdout: string, count: number): GuestPathKind[] {
  const lines = stdout.split('\n').filter((line) => line !== '');
  if (lines.length !== count)
    throw new SkiffError('internal', `transfer: unexpected answer from the guest: ${stdout}`);
  return lines.map((line): GuestPathKind => {
    if (line === 'd') return { kind: 'dir' };
    if (line === 'n') return { kind: 'missing' };
    const file = /^f (\d+|\?)$/.exec(line);
    if (file) return { kind: 'file', sizeBytes: file[1] === '?' ? null : Number(file[1]) };
    throw new SkiffError('internal', `transfer: unexpected answer from the guest: ${line}`);
  });
}

/** Runs a command in the guest and collects its output; @throws SkiffError when it fails. */
export function sshCapture(target: SshTarget, argv: readonly string[], what: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(SSH_BINARY, sshExecArgs(target, argv, { connectTimeoutSec: 30 }), {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (chunk: Buffer) => out.push(chunk));
    child.stderr.on('data', (chunk: Buffer) => err.push(chunk));
    child.once('error', (error: NodeJS.ErrnoException) => reject(spawnError(SSH_BINARY, error)));
    child.once('close', (code) => {
      if (code === 0) resolve(Buffer.concat(out).toString('utf8'));
      else
        reject(
          new SkiffError(
            'internal',
            `transfer: ${what} failed (ssh exit ${code}): ${Buffer.concat(err).toString('utf8').trim()}`,
          ),
        );
    });
  });
}

/** What each of `paths` is in the guest (relative paths from the user's home). */
export async function probeGuestPaths(target: SshTarget, paths: readonly string[]): Promise<GuestPathKind[]> {
  if (paths.length === 0) return [];
  const stdout = await sshCapture(
    target,
    ['sh', '-c', PROBE_SCRIPT, 'sh', ...paths],
    'looking at the guest paths',
  );
  return parseProbe(stdout, paths.length);
}
