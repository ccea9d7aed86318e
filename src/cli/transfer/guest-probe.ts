/**
 * @module Asks a guest, in one exec round trip through skiffd and before anything is copied, what its paths are: a
 * directory, a file (with its size), or missing. Paths travel as shell-quoted arguments to `sh -c`, never as
 * script text, so no path can run anything in the guest.
 */
import { Writable } from 'node:stream';
import type { ExecQuery } from '../../api/contract.js';
import type { ExecChannel } from '../../client/exec-channel.js';
import { SkiffError } from '../../core/errors.js';

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

/** Opens an exec session in an instance (DaemonClient.exec). */
export type OpenExec = (instance: string, query: ExecQuery) => Promise<ExecChannel>;

/** Runs `argv` in the guest through skiffd and collects its output; @throws SkiffError when it fails. */
export async function captureInGuest(
  exec: OpenExec,
  instance: string,
  argv: readonly string[],
  what: string,
): Promise<string> {
  const channel = await exec(instance, { command: [...argv] });
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  const code = await channel.run({ stdin: null, stdout: collector(out), stderr: collector(err) });
  if (code === 0) return Buffer.concat(out).toString('utf8');
  throw new SkiffError(
    'internal',
    `transfer: ${what} failed (exit ${code}): ${Buffer.concat(err).toString('utf8').trim()}`,
  );
}

const collector = (into: Buffer[]) =>
  new Writable({
    write(chunk: Buffer, _encoding, callback) {
      into.push(chunk);
      callback();
    },
  });

/** What each of `paths` is in the guest (relative paths from the user's home). */
export async function probeGuestPaths(
  exec: OpenExec,
  instance: string,
  paths: readonly string[],
): Promise<GuestPathKind[]> {
  if (paths.length === 0) return [];
  const stdout = await captureInGuest(
    exec,
    instance,
    ['sh', '-c', PROBE_SCRIPT, 'sh', ...paths],
    'looking at the guest paths',
  );
  return parseProbe(stdout, paths.length);
}
