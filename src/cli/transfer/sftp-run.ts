/**
 * @module Runs one sftp batch (OpenSSH client, batch on stdin) against a guest; the CLI process, as the
 * calling user, reads and writes the local files.
 */
import { spawn } from 'node:child_process';
import { SkiffError } from '../../core/errors.js';
import { SFTP_BINARY, sftpBatchArgs, type SshTarget } from '../../core/ssh-args.js';
import { spawnError } from '../ssh-session.js';
import { sftpBatch, type SftpCommand } from './sftp-batch.js';

/**
 * Runs `commands`; `onStart` gets sftp's pid (for progress). @throws SkiffError `internal` with sftp's own
 * message when a command fails (the batch stops there).
 */
export async function runSftp(
  target: SshTarget,
  commands: readonly SftpCommand[],
  onStart?: (pid: number) => void,
): Promise<void> {
  const script = sftpBatch(commands);
  await new Promise<void>((resolve, reject) => {
    const child = spawn(SFTP_BINARY, sftpBatchArgs(target, '-', { connectTimeoutSec: 30 }), {
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
