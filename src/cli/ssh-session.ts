/**
 * @module Runs the OpenSSH client against an instance with a temporary copy of the daemon's key, passing
 * stdin, stdout, stderr, the terminal and the exit code straight through.
 */
import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { SshInfoResponse } from '../api/contract.js';
import { SkiffError } from '../core/errors.js';
import { sshCommandArgs, sshShellArgs, type SshTarget } from '../core/ssh-args.js';

/**
 * Runs `use` with an SshTarget for `info`: the daemon's key and the guest's pinned host key written to a
 * private temporary directory (mode 0600), removed afterwards.
 */
export async function withSshTarget<T>(
  info: SshInfoResponse,
  use: (target: SshTarget) => Promise<T>,
): Promise<T> {
  const dir = await mkdtemp(join(process.env.XDG_RUNTIME_DIR ?? tmpdir(), 'skiff-ssh-'));
  const keyPath = join(dir, 'id');
  const knownHostsFile = join(dir, 'known_hosts');
  try {
    await writeFile(keyPath, info.private_key, { mode: 0o600 });
    await writeFile(knownHostsFile, info.known_hosts, { mode: 0o600 });
    return await use({
      host: info.host,
      port: info.port,
      user: info.user,
      keyPath,
      hostKey: { knownHostsFile, alias: info.host_key_alias, learn: info.known_hosts.trim() === '' },
    });
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** The error for an OpenSSH client that failed to start. */
export function spawnError(program: string, error: NodeJS.ErrnoException): SkiffError {
  return error.code === 'ENOENT'
    ? new SkiffError(
        'missing-dependency',
        `the OpenSSH client (${program}) is not installed: apt-get install openssh-client`,
      )
    : new SkiffError('internal', `running ${program}: ${error.message}`, { cause: error });
}

/** @returns the exit code of the remote command (255 when ssh itself failed, as OpenSSH reports). */
export function runSsh(info: SshInfoResponse, options: { tty: boolean; command?: string }): Promise<number> {
  return withSshTarget(info, async (target) => {
    const argv =
      options.command === undefined
        ? sshShellArgs(target)
        : sshCommandArgs(target, options.command, { tty: options.tty, connectTimeoutSec: 30 });
    const child = spawn('ssh', argv, { stdio: 'inherit' });
    // The terminal's Ctrl-C goes to the foreground group, ssh included; skiff itself must not die of it first.
    const ignore = () => undefined;
    process.on('SIGINT', ignore);
    try {
      return await new Promise<number>((resolve, reject) => {
        child.once('error', (error: NodeJS.ErrnoException) => reject(spawnError('ssh', error)));
        child.once('exit', (code, signal) => {
          // 255 is ssh's own failure; its message is above. Say what a host key mismatch means here.
          if (code === 255)
            process.stderr.write(
              `skiff: ssh exited with 255 (its own failures use that code). If it said "Host key verification ` +
                `failed", something other than the instance answers on ${info.host}:${info.port}; it was sent nothing.\n`,
            );
          resolve(code ?? (signal ? 128 + 2 : 255));
        });
      });
    } finally {
      process.off('SIGINT', ignore);
    }
  });
}
