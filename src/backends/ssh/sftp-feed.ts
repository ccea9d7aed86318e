/**
 * @module The host end of a classic (SSHFS) mount: OpenSSH's own `sftp-server`, run as the user who asked the
 * mount (run-as.ts), wired straight to an `ssh` client whose remote command is the guest's `sshfs -o slave`. The
 * two processes' pipes are joined to each other, not through the daemon, and both run in their own session, so
 * the mount lives on through a daemon restart (as QEMU does) and ends when the guest's sshfs ends. What they
 * say goes to a log file, never to the daemon's pipes (a dead daemon would break them).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdir, open, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { SkiffError } from '../../core/errors.js';
import { SSH_BINARY, sshCommandArgs } from '../../core/ssh-args.js';
import type { SftpFeed, SftpFeedHandle, SftpFeedOptions } from '../../services/mounts/ports.js';
import { asUser, HELPER_ENV } from '../host/run-as.js';

/** Debian's openssh-sftp-server. */
export const SFTP_SERVER = '/usr/lib/openssh/sftp-server';

export interface SftpFeedConfig {
  /** Where each mount's log goes (made 0700 when missing). */
  logDir: string;
  sftpServer?: string;
  sshBinary?: string;
}

/** An SftpFeed that starts real processes. */
export function openSshSftpFeed(config: SftpFeedConfig): SftpFeed {
  const sftpServer = config.sftpServer ?? SFTP_SERVER;
  const sshBinary = config.sshBinary ?? SSH_BINARY;
  return {
    async start(options: SftpFeedOptions): Promise<SftpFeedHandle> {
      await mkdir(config.logDir, { recursive: true, mode: 0o700 });
      const logPath = join(config.logDir, `sshfs-${options.label.replace(/[^A-Za-z0-9_.-]/g, '_')}.log`);
      const log = await open(logPath, 'a', 0o600);
      let server: ChildProcess | undefined;
      let client: ChildProcess | undefined;
      try {
        // -u: files the guest makes get the mode it asked for less 022, not the daemon's own umask (077).
        const [file, ...args] = await asUser(options.owner, [sftpServer, '-u', '022', '-d', options.source]);
        server = spawn(file!, args, {
          detached: true,
          env: HELPER_ENV,
          cwd: '/',
          stdio: ['pipe', 'pipe', log.fd],
        });
        await spawned(server, 'sftp-server');
        // ssh reads what sftp-server writes and writes what it reads: the daemon holds neither end after this.
        client = spawn(sshBinary, sshCommandArgs(options.ssh, options.command), {
          detached: true,
          env: HELPER_ENV,
          stdio: [server.stdout!, server.stdin!, log.fd],
        });
        await spawned(client, 'ssh');
      } catch (error) {
        server?.kill('SIGKILL');
        client?.kill('SIGKILL');
        throw new SkiffError('internal', `cannot start the SSHFS feed: ${(error as Error).message}`, {
          cause: error,
        });
      } finally {
        await log.close();
      }
      server.stdout!.destroy();
      server.stdin!.destroy();
      const pair = [server, client];
      for (const child of pair) child.unref();
      const exited = Promise.race(
        pair.map(
          (child, i) =>
            new Promise<string>((resolve) =>
              child.once('exit', (code, signal) =>
                resolve(`${i === 0 ? 'sftp-server' : 'ssh'} ended (${signal ?? `exit ${code}`})`),
              ),
            ),
        ),
      ).then(async (how) => {
        const text = (await readFile(logPath, 'utf8').catch(() => ''))
          .trim()
          .split('\n')
          .slice(-5)
          .join('\n');
        return text === '' ? how : `${how}: ${text}`;
      });
      return {
        exited,
        stop() {
          for (const child of pair) if (child.exitCode === null) child.kill('SIGTERM');
        },
      };
    },
  };
}

/** Resolves once `child` has started. @throws the spawn error (a missing binary) */
function spawned(child: ChildProcess, what: string): Promise<void> {
  return new Promise((resolve, reject) => {
    child.once('spawn', resolve);
    child.once('error', (error) => reject(new Error(`${what}: ${error.message}`)));
  });
}
