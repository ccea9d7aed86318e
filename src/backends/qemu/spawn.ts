/**
 * @module Spawns QEMU detached and waits until its QMP monitor answers.
 *
 * Why a detached spawn and not `-daemonize`: with `-daemonize` QEMU double-forks, so its real process is
 * reparented to init at once; in containers and under process supervisors whose PID 1 does not reap, an
 * exited QEMU then lingers as a zombie, and start-up errors arrive only as the exit status of the
 * intermediate process. A detached spawn (`setsid`, stdio to `qemu.log`, `unref`) keeps QEMU as our direct
 * child while the daemon lives (Node reaps it, so it never turns into a zombie under us), gives us its pid at
 * once and its exit code if it dies during start-up, and still survives the daemon: its own session means no
 * SIGHUP/SIGINT from our terminal, and its stdio is a file, not a pipe that would break when we exit.
 */
import { spawn } from 'node:child_process';
import { open, stat } from 'node:fs/promises';
import { SkiffError } from '../../core/errors.js';
import { QmpClient } from './qmp-client.js';

export interface SpawnQemuOptions {
  binary: string;
  args: string[];
  /** Working directory (the instance directory). */
  cwd: string;
  /** QEMU's stdout/stderr are appended here. */
  logPath: string;
  qmpPath: string;
  /** Budget from spawn to a negotiated QMP connection (includes -loadvm restoring RAM). */
  timeoutMs: number;
  signal?: AbortSignal;
  /** Open descriptors QEMU inherits as its fd 3, 4, ... (macvtap devices). */
  inheritFds?: number[];
}

/** Reads what QEMU wrote to its log since `offset` (the start-up error, typically). Never throws. */
async function logSince(path: string, offset: number): Promise<string> {
  try {
    const handle = await open(path, 'r');
    try {
      const { size } = await handle.stat();
      const length = Math.min(size - offset, 64 * 1024);
      if (length <= 0) return '';
      const buffer = Buffer.alloc(length);
      await handle.read(buffer, 0, length, size - length);
      return buffer.toString('utf8').trim();
    } finally {
      await handle.close();
    }
  } catch {
    return '';
  }
}

const CONNECT_RETRY = new Set(['ENOENT', 'ECONNREFUSED']);

/**
 * Starts QEMU in its own session and resolves with a negotiated QMP client (the caller closes it) once the
 * monitor answers. @throws SkiffError internal with QEMU's stderr when it exits first; timeout; the abort reason
 */
export async function spawnQemu(options: SpawnQemuOptions): Promise<{ pid: number; qmp: QmpClient }> {
  const offset = await stat(options.logPath).then(
    (s) => s.size,
    () => 0,
  );
  const log = await open(options.logPath, 'a');
  let child;
  try {
    child = spawn(options.binary, options.args, {
      cwd: options.cwd,
      detached: true,
      stdio: ['ignore', log.fd, log.fd, ...(options.inheritFds ?? [])],
    });
  } finally {
    await log.close();
  }
  child.unref();
  const exited = new AbortController();
  let exitError: Error | null = null;
  child.once('error', (error) => {
    exitError = new SkiffError('internal', `cannot run ${options.binary}: ${error.message}`, {
      cause: error,
    });
    exited.abort(exitError);
  });
  child.once('exit', (code, signal) => {
    void logSince(options.logPath, offset).then((text) => {
      exitError = new SkiffError(
        'internal',
        `QEMU exited during start-up (${signal ?? `exit code ${code}`}): ${text || 'no output'}`,
        { details: { exitCode: code, signal } },
      );
      exited.abort(exitError);
    });
  });
  const deadline = Date.now() + options.timeoutMs;
  const stop = AbortSignal.any([exited.signal, ...(options.signal ? [options.signal] : [])]);
  try {
    for (;;) {
      if (stop.aborted) throw stop.reason;
      const remaining = deadline - Date.now();
      if (remaining <= 0) {
        throw new SkiffError('timeout', `QEMU did not answer on QMP within ${options.timeoutMs} ms`);
      }
      try {
        const qmp = await QmpClient.connect(options.qmpPath, { timeoutMs: remaining, signal: stop });
        if (child.pid === undefined) throw new SkiffError('internal', 'QEMU has no pid');
        return { pid: child.pid, qmp };
      } catch (error) {
        const code = ((error as Error).cause as NodeJS.ErrnoException | undefined)?.code;
        if (stop.aborted) throw stop.reason;
        if (code === undefined || !CONNECT_RETRY.has(code)) throw error;
        // The socket is not bound yet: QEMU is still parsing its command line or opening images.
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    }
  } catch (error) {
    // Never leave a half-started QEMU behind: it would hold the disk lock and the SSH port.
    if (exitError === null) child.kill('SIGKILL');
    throw error;
  }
}
