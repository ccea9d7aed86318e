/**
 * @module Pure: the command lines skiffd sends over SSH for an exec session. A command without a terminal
 * runs under a small watcher: an SSH server does not signal a command without a PTY when the connection
 * drops (OpenSSH and dropbear both only close its pipes), so `sleep 1000` would outlive a client that went
 * away. The watcher notices its SSH session process is gone (it gets reparented) and hangs up the command's
 * whole process group. stdin's end is not used for this: a command may well outlive the end of its input.
 */
import { remoteCommand, shellQuote } from './ssh-args.js';

/**
 * POSIX sh (busybox ash, dash, bash): runs "$@" in its own session (so its whole group can be signalled)
 * with the original stdin, polls once a second that the parent is still the SSH session, and exits with
 * the command's status. `kill -HUP -PGID`: busybox's builtin kill has no `--`.
 */
export const WATCHER_SCRIPT = [
  'p=$PPID',
  'exec 3<&0',
  'if command -v setsid >/dev/null 2>&1; then setsid "$@" <&3 3<&- & else "$@" <&3 3<&- & fi',
  'c=$!',
  'exec 0</dev/null 3<&-',
  '(while read -r _ _ _ q _ </proc/$$/stat && [ "$q" = "$p" ]; do sleep 1; done;' +
    ' kill -HUP -$c 2>/dev/null || kill -HUP $c; sleep 2; kill -KILL -$c 2>/dev/null || kill -KILL $c)' +
    ' </dev/null >/dev/null 2>&1 &',
  'w=$!',
  'wait $c 2>/dev/null', // no "Terminated" from the shell: the status says it
  'r=$?',
  'kill $w 2>/dev/null',
  'exit $r',
].join('\n');

/** The command line for `argv` without a terminal: under the watcher, optionally in `workingDirectory`. */
export function watchedCommand(argv: readonly string[], workingDirectory?: string): string {
  if (argv.length === 0) throw new Error('watchedCommand: empty command');
  return remoteCommand(['sh', '-c', WATCHER_SCRIPT, 'sh', ...argv], workingDirectory);
}

/**
 * The command line for a terminal session: `argv` as is (the PTY's hangup ends it when the connection
 * drops), or the login shell when there is no argv (in `workingDirectory`, when given, via `exec $SHELL -l`).
 */
export function terminalCommand(argv: readonly string[], workingDirectory?: string): string | undefined {
  if (argv.length > 0) return remoteCommand(argv, workingDirectory);
  if (workingDirectory === undefined) return undefined;
  return `cd ${shellQuote(workingDirectory)} && exec "\${SHELL:-/bin/sh}" -l`;
}
