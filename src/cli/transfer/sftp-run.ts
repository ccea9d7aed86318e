/**
 * @module Runs one sftp batch (OpenSSH client, batch on stdin) against a guest. sftp speaks SFTP to a relay
 * (`sftp -D`): a small process that carries the session over skiffd's exec websocket to the guest's sftp
 * subsystem, so no SSH key ever reaches the client. The CLI process, as the calling user, reads and writes
 * the local files.
 */
import { spawn } from 'node:child_process';
import { SkiffError } from '../../core/errors.js';
import { shellJoin } from '../../core/ssh-args.js';
import { sftpBatch, type SftpCommand } from './sftp-batch.js';

/** The OpenSSH SFTP client binary. */
export const SFTP_BINARY = 'sftp';

/** The error for a program that failed to start. */
export function spawnError(program: string, error: NodeJS.ErrnoException): SkiffError {
  return error.code === 'ENOENT'
    ? new SkiffError(
        'missing-dependency',
        `the OpenSSH client (${program}) is not installed: apt-get install openssh-client`,
      )
    : new SkiffError('internal', `running ${program}: ${error.message}`, { cause: error });
}

/**
 * argv for `sftp` running the batch on its stdin against the server `relay` starts (`-D` splits its value
 * as sh does: the words are quoted). `-q` drops the banner.
 */
export function sftpRelayArgs(relay: readonly string[]): string[] {
  return ['-q', '-b', '-', '-D', shellJoin(relay)];
}

/**
 * Runs `commands` through `relay`; `onStart` gets sftp's pid (for progress). @throws SkiffError `internal`
 * with sftp's own message when a command fails (the batch stops there).
 */
export async function runSftp(
  relay: readonly string[],
  commands: readonly SftpCommand[],
  onStart?: (pid: number) => void,
): Promise<void> {
  const script = sftpBatch(commands);
  await new Promise<void>((resolve, reject) => {
    const child = spawn(SFTP_BINARY, sftpRelayArgs(relay), {
      // stdout only echoes the batch commands.
      stdio: ['pipe', 'ignore', 'pipe'],
    });
    const err: Buffer[] = [];
    child.stderr.on('data', (chunk: Buffer) => err.push(chunk));
    child.once('error', (error: NodeJS.ErrnoException) => reject(spawnError(SFTP_BINARY, error)));
    child.once('spawn', () => {
      if (child.pid !== undefined) onStart?.(child.pid);
    });
    child.stdin.on('error', () => undefined); // sftp may exit before reading it all; its exit code says why
    child.stdin.end(script);
    child.once('close', (code) => {
      if (code === 0) return resolve();
      const message = Buffer.concat(err).toString('utf8').trim();
      reject(new SkiffError('internal', `[sftp] ${message || `sftp exited with ${code}`}`));
    });
  });
}
