/**
 * @module What every command gets: a client that autostarts the daemon, output streams and terminal facts.
 */
import { homedir } from 'node:os';
import { defaultDataDir, defaultSocketPath } from '../api/endpoint.js';
import { autostartDaemon } from '../client/autostart.js';
import { DaemonClient } from '../client/daemon-client.js';
import { isSkiffError } from '../core/errors.js';

export interface CliContext {
  /** A connected client: starts skiffd in the background if none answers (unless SKIFF_NO_AUTOSTART=1). */
  client(): Promise<DaemonClient>;
  stdout: NodeJS.WriteStream;
  stderr: NodeJS.WriteStream;
  color: boolean;
  verbosity: number;
}

export function createContext(verbosity: number): CliContext {
  const host = { env: process.env, uid: process.getuid?.() ?? 0, home: homedir() };
  const socketPath = defaultSocketPath(host);
  let ready: Promise<DaemonClient> | null = null;
  return {
    stdout: process.stdout,
    stderr: process.stderr,
    color: !process.env.NO_COLOR && process.stderr.isTTY === true,
    verbosity,
    client: () => (ready ??= connect(socketPath, defaultDataDir(host))),
  };
}

async function connect(socketPath: string, dataDir: string): Promise<DaemonClient> {
  const client = new DaemonClient(socketPath);
  try {
    await client.version();
    return client;
  } catch (error) {
    if (!isSkiffError(error) || error.code !== 'daemon-unreachable' || process.env.SKIFF_NO_AUTOSTART === '1')
      throw error;
  }
  const logPath = await autostartDaemon(client, { socketPath, dataDir });
  process.stderr.write(
    `skiff: no daemon was answering; started skiffd in the background (socket ${socketPath}, log ${logPath})\n`,
  );
  return client;
}
