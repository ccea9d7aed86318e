/**
 * @module Starting skiffd in the background when no daemon answers (disabled by SKIFF_NO_AUTOSTART=1).
 */
import { spawn } from 'node:child_process';
import { mkdirSync, openSync, closeSync } from 'node:fs';
import { join } from 'node:path';
import { SkiffError } from '../core/errors.js';
import { installRoot } from '../core/install-root.js';
import type { DaemonClient } from './daemon-client.js';

export interface AutostartOptions {
  socketPath: string;
  dataDir: string;
  timeoutMs?: number;
}

/** Spawns a detached skiffd and waits until it answers. Returns the log file path. */
export async function autostartDaemon(client: DaemonClient, options: AutostartOptions): Promise<string> {
  const skiffd = join(installRoot(), 'bin', 'skiffd');
  mkdirSync(options.dataDir, { recursive: true, mode: 0o700 });
  const logPath = join(options.dataDir, 'skiffd.log');
  const log = openSync(logPath, 'a');
  try {
    // bin/skiffd itself, so its shebang's runtime settings apply.
    const child = spawn(skiffd, ['--socket', options.socketPath, '--data-dir', options.dataDir], {
      detached: true,
      stdio: ['ignore', log, log],
    });
    child.unref();
  } finally {
    closeSync(log);
  }
  const deadline = Date.now() + (options.timeoutMs ?? 10_000);
  for (;;) {
    try {
      await client.version();
      return logPath;
    } catch (error) {
      if (Date.now() > deadline) {
        throw new SkiffError(
          'daemon-unreachable',
          `started skiffd but it did not answer on ${options.socketPath}; see ${logPath}`,
          {
            cause: error,
          },
        );
      }
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }
}
