/**
 * @module OpenSSH client command lines for `exec` and `shell`. Pure: coordinates in, argv out.
 */

export interface SshCoordinates {
  host: string;
  port: number;
  user: string;
  keyPath: string;
}

/** Quotes one word for a POSIX shell: the remote side gets exactly this argument. */
export function shellQuote(word: string): string {
  return /^[A-Za-z0-9_@%+=:,./-]+$/.test(word) ? word : `'${word.replaceAll("'", `'\\''`)}'`;
}

/** The remote command line for `exec`: argv preserved word for word, optionally in a working directory. */
export function remoteCommand(argv: string[], workingDirectory?: string): string {
  const command = argv.map(shellQuote).join(' ');
  return workingDirectory ? `cd ${shellQuote(workingDirectory)} && ${command}` : command;
}

/**
 * argv for `ssh`. `tty`: allocate a terminal (interactive shell, or exec from a terminal).
 * Host keys are not checked: the guest was created by this daemon a moment ago, and its port is on loopback.
 */
export function sshArgv(target: SshCoordinates, options: { tty: boolean; command?: string }): string[] {
  return [
    '-i',
    target.keyPath,
    '-p',
    String(target.port),
    '-o',
    'StrictHostKeyChecking=no',
    '-o',
    'UserKnownHostsFile=/dev/null',
    '-o',
    'LogLevel=ERROR',
    '-o',
    'IdentitiesOnly=yes',
    '-o',
    'ConnectTimeout=30',
    options.tty ? '-t' : '-T',
    `${target.user}@${target.host}`,
    ...(options.command === undefined ? [] : ['--', options.command]),
  ];
}
