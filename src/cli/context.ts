/**
 * @module What every command gets: a way to talk to the daemon (started in the background when none
 * answers, unless SKIFF_NO_AUTOSTART=1), output streams and terminal facts.
 */
import { homedir } from 'node:os';
import { defaultDataDir, defaultSocketPath } from '../api/endpoint.js';
import { DaemonClient } from '../client/daemon-client.js';
import { isSkiffError } from '../core/errors.js';
import { daemonTransport } from './daemon-transport.js';

export interface CliContext {
  /**
   * Runs `call` against the daemon. When nothing answers on the socket, starts skiffd and runs it once more:
   * a refused connection means the request never reached a daemon, so repeating it is safe.
   */
  withDaemon<T>(call: (client: DaemonClient) => Promise<T>): Promise<T>;
  stdout: NodeJS.WriteStream;
  stderr: NodeJS.WriteStream;
  color: boolean;
  verbosity: number;
}

export function createContext(verbosity: number): CliContext {
  const host = { env: process.env, uid: process.getuid?.() ?? 0, home: homedir() };
  const socketPath = defaultSocketPath(host);
  // SKIFF_SERVER_ADDRESS picks another daemon (HOST:PORT over TLS, or unix:PATH); none is autostarted there.
  const chosen = daemonTransport(host);
  const client = new DaemonClient(chosen ?? socketPath);
  return {
    stdout: process.stdout,
    stderr: process.stderr,
    color: !process.env.NO_COLOR && process.stderr.isTTY === true,
    verbosity,
    async withDaemon(call) {
      try {
        return await call(client);
      } catch (error) {
        // A socket that refused this user (EACCES) has a daemon behind it: starting another would not help.
        const unreachable =
          isSkiffError(error) &&
          error.code === 'daemon-unreachable' &&
          error.details?.connected !== true &&
          error.details?.reason !== 'permission-denied';
        if (!unreachable || chosen !== null || process.env.SKIFF_NO_AUTOSTART === '1') throw error;
      }
      // Loaded only here: spawning support costs start-up time that the common path should not pay.
      const { autostartDaemon } = await import('../client/autostart.js');
      const logPath = await autostartDaemon(client, { socketPath, dataDir: defaultDataDir(host) });
      process.stderr.write(
        `skiff: no daemon was answering; started skiffd in the background (socket ${socketPath}, log ${logPath})\n`,
      );
      return call(client);
    },
  };
}
