/**
 * @module Pure: OpenSSH client argv for reaching a guest, and POSIX shell quoting so `exec NAME -- CMD args`
 * arrives in the guest as exactly the argv the user typed (ssh joins its arguments with spaces and the remote
 * login shell re-parses them).
 */

/** Where a guest's SSH server is reached, with which key, and which host key it must present. */
export interface SshTarget {
  host: string;
  port: number;
  user: string;
  /** Path of the private key file. */
  keyPath: string;
  hostKey: PinnedHostKey;
}

/**
 * The guest's host key, pinned in a known_hosts file under an alias (the forwarded port changes at every boot,
 * so host:port cannot name the guest). Anything else answering on the port fails verification: a local user
 * who binds a dead guest's port receives no command. `learn` (accept-new) takes the first key seen, for guests
 * whose key skiff did not give them; once learnt it is pinned like any other.
 */
export interface PinnedHostKey {
  knownHostsFile: string;
  alias: string;
  learn?: boolean;
}

/** The one host key type skiff gives guests and accepts from them. */
export const HOST_KEY_TYPE = 'ssh-ed25519';

/** A known_hosts line pinning `publicKey` (`ssh-ed25519 AAAA... [comment]`) under `alias`. */
export function knownHostsLine(alias: string, publicKey: string): string {
  const [type, material] = publicKey.trim().split(/\s+/);
  return `${alias} ${type} ${material}\n`;
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
 * Options shared by every call: the daemon's key only, the guest's pinned host key only (ed25519, under its
 * alias; no global known_hosts), no prompts, and no user ~/.ssh/config changing behaviour.
 */
export function sshBaseArgs(target: SshTarget, options: SshOptions = {}): string[] {
  const o = (option: string): string[] => ['-o', option];
  const { hostKey } = target;
  return [
    '-F',
    '/dev/null',
    '-i',
    target.keyPath,
    '-p',
    String(target.port),
    ...o('IdentitiesOnly=yes'),
    ...o(`StrictHostKeyChecking=${hostKey.learn ? 'accept-new' : 'yes'}`),
    ...o(`UserKnownHostsFile=${hostKey.knownHostsFile}`),
    ...o('GlobalKnownHostsFile=/dev/null'),
    ...o(`HostKeyAlias=${hostKey.alias}`),
    ...o(`HostKeyAlgorithms=${HOST_KEY_TYPE}`),
    ...o('CheckHostIP=no'),
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

/** What one exec session runs: a command line (or the login shell), or an SSH subsystem. */
export type SshSession = { command?: string; tty: boolean } | { subsystem: string };

/**
 * argv for an exec session run by skiffd. A terminal is forced (`-tt`): the daemon's ssh has no terminal of
 * its own, and without `-tt` ssh would refuse to ask for one. A subsystem (`sftp`) gets `-s`.
 */
export function sshSessionArgs(target: SshTarget, session: SshSession, options: SshOptions = {}): string[] {
  const base = [...sshBaseArgs(target, options)];
  if ('subsystem' in session) return [...base, '-T', '-s', '--', destination(target), session.subsystem];
  const command = session.command === undefined ? [] : [session.command];
  return [...base, session.tty ? '-tt' : '-T', '--', destination(target), ...command];
}

/** The command line for `exec`: argv preserved word for word, optionally run in a working directory. */
export function remoteCommand(argv: readonly string[], workingDirectory?: string): string {
  if (argv.length === 0) throw new Error('remoteCommand: empty command');
  return workingDirectory ? `cd ${shellQuote(workingDirectory)} && ${shellJoin(argv)}` : shellJoin(argv);
}
