/**
 * @module Pure: OpenSSH client argv for reaching a guest, and POSIX shell quoting so `exec NAME -- CMD args`
 * arrives in the guest as exactly the argv the user typed (ssh joins its arguments with spaces and the remote
 * login shell re-parses them).
 */

/** Where a guest's SSH server is reached, and with which key. */
export interface SshTarget {
  host: string;
  port: number;
  user: string;
  /** Path of the private key file. */
  keyPath: string;
}

/** The OpenSSH client binary. */
export const SSH_BINARY = 'ssh';

export interface SshOptions {
  /** Seconds for the TCP connect + SSH handshake. Default 10. */
  connectTimeoutSec?: number;
}

const SAFE = /^[A-Za-z0-9_@%+=:,./-]+$/;

/**
 * Quotes one word for a POSIX shell: safe words stay bare, others are single-quoted with each `'` written as
 * `'\''`. @example shellQuote("it's") // 'it'\''s'
 */
export function shellQuote(word: string): string {
  if (SAFE.test(word)) return word;
  return `'${word.replaceAll("'", `'\\''`)}'`;
}

/** Joins an argv into one shell command line that the remote shell splits back into the same argv. */
export function shellJoin(argv: readonly string[]): string {
  return argv.map(shellQuote).join(' ');
}

/**
 * Options shared by every call: the daemon's key only, no host-key bookkeeping (guests get fresh host keys
 * and live on a loopback-forwarded port), no prompts, and no user ~/.ssh/config changing behaviour.
 */
export function sshBaseArgs(target: SshTarget, options: SshOptions = {}): string[] {
  const o = (option: string): string[] => ['-o', option];
  return [
    '-F',
    '/dev/null',
    '-i',
    target.keyPath,
    '-p',
    String(target.port),
    ...o('IdentitiesOnly=yes'),
    ...o('StrictHostKeyChecking=no'),
    ...o('UserKnownHostsFile=/dev/null'),
    ...o('LogLevel=ERROR'),
    ...o('BatchMode=yes'),
    ...o(`ConnectTimeout=${options.connectTimeoutSec ?? 10}`),
    // A dead guest must not hang `exec` forever once connected.
    ...o('ServerAliveInterval=10'),
    ...o('ServerAliveCountMax=3'),
  ];
}

const destination = (target: SshTarget): string => `${target.user}@${target.host}`;

/** argv running a shell command line (already a string); `tty` allocates a PTY. */
export function sshCommandArgs(
  target: SshTarget,
  command: string,
  options: SshOptions & { tty?: boolean } = {},
): string[] {
  return [...sshBaseArgs(target, options), options.tty ? '-t' : '-T', '--', destination(target), command];
}

/** The command line for `exec`: argv preserved word for word, optionally run in a working directory. */
export function remoteCommand(argv: readonly string[], workingDirectory?: string): string {
  if (argv.length === 0) throw new Error('remoteCommand: empty command');
  return workingDirectory ? `cd ${shellQuote(workingDirectory)} && ${shellJoin(argv)}` : shellJoin(argv);
}

/**
 * argv running `argv` in the guest, each word preserved exactly; `tty` allocates a PTY (for interactive use
 * when the local stdin is a terminal), otherwise stdin/stdout stay clean byte streams.
 */
export function sshExecArgs(
  target: SshTarget,
  argv: readonly string[],
  options: SshOptions & { tty?: boolean } = {},
): string[] {
  if (argv.length === 0) throw new Error('sshExecArgs: empty command');
  return [
    ...sshBaseArgs(target, options),
    options.tty ? '-t' : '-T',
    '--',
    destination(target),
    shellJoin(argv),
  ];
}

/** argv for an interactive login shell with a PTY (`skiff shell`). */
export function sshShellArgs(target: SshTarget, options: SshOptions = {}): string[] {
  return [...sshBaseArgs(target, options), '-t', '--', destination(target)];
}
