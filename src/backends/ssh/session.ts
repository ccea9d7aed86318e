/**
 * @module GuestShell over the OpenSSH client. Readiness is the guest's `SSH-` banner, then a trivial command:
 * QEMU's user-mode networking accepts the forwarded TCP connection before anything listens in the guest, so
 * a successful connect proves nothing (and ssh would sit in the handshake until its timeout). At most
 * `maxSessions` ssh processes run at once: a burst of guest reads queues instead of forking a hundred clients.
 */
import { spawn } from 'node:child_process';
import pLimit, { type LimitFunction } from 'p-limit';
import { createConnection } from 'node:net';
import { constants } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import { MissingDependencyError, SkiffError } from '../../core/errors.js';
import type { GuestShell, SshTarget } from '../../services/instances/ports.js';
import { SSH_BINARY, sshCommandArgs } from '../../core/ssh-args.js';

/** Result of one banner probe: the banner line, or why there was none. */
export type BannerProbe = { ok: true; banner: string } | { ok: false; reason: string };

/** Connects to host:port and waits up to `timeoutMs` for a line starting with `SSH-`. Never throws. */
export function probeSshBanner(host: string, port: number, timeoutMs: number): Promise<BannerProbe> {
  return new Promise((resolve) => {
    const socket = createConnection({ host, port });
    let received = '';
    const done = (result: BannerProbe): void => {
      clearTimeout(timer);
      socket.destroy();
      resolve(result);
    };
    const timer = setTimeout(() => done({ ok: false, reason: 'no SSH banner yet' }), timeoutMs);
    socket.on('data', (chunk: Buffer) => {
      received += chunk.toString('latin1');
      const line = received.split('\n')[0] ?? '';
      if (received.includes('\n') || received.length >= 255) {
        done(
          line.startsWith('SSH-')
            ? { ok: true, banner: line.trim() }
            : { ok: false, reason: `not SSH: ${line}` },
        );
      }
    });
    socket.on('error', (error) => done({ ok: false, reason: error.message }));
    socket.on('close', () => done({ ok: false, reason: 'connection closed before the SSH banner' }));
  });
}

export interface OpenSshGuestShellOptions {
  /** The ssh binary (name on PATH or path). Default `ssh`. */
  sshBinary?: string;
  /** Pause between readiness attempts. Default 250 ms. */
  retryDelayMs?: number;
  /** ssh processes this shell runs at once; further runs wait their turn. Default 4. */
  maxSessions?: number;
}

/** Output kept from one command unless the caller says otherwise: a guest is not trusted to be brief. */
const DEFAULT_MAX_OUTPUT_BYTES = 16 * 2 ** 20;

/** GuestShell using the OpenSSH client with the daemon's key. */
export class OpenSshGuestShell implements GuestShell {
  private readonly sshBinary: string;
  private readonly retryDelayMs: number;
  private readonly limit: LimitFunction;

  constructor(options: OpenSshGuestShellOptions = {}) {
    this.sshBinary = options.sshBinary ?? SSH_BINARY;
    this.retryDelayMs = options.retryDelayMs ?? 250;
    this.limit = pLimit(options.maxSessions ?? 4);
  }

  /** ssh processes running now and runs waiting for a session slot. */
  sessions(): { active: number; waiting: number } {
    return { active: this.limit.activeCount, waiting: this.limit.pendingCount };
  }

  /**
   * Polls until the banner arrives and `true` succeeds over SSH (so keys are installed too).
   * @throws SkiffError timeout with the last reason; the abort reason when `signal` fires
   */
  async waitReady(target: SshTarget, options: { timeoutMs: number; signal?: AbortSignal }): Promise<void> {
    const deadline = Date.now() + options.timeoutMs;
    let reason = 'not tried';
    for (;;) {
      options.signal?.throwIfAborted();
      const left = deadline - Date.now();
      if (left <= 0) {
        throw new SkiffError(
          'timeout',
          `SSH on ${target.host}:${target.port} not ready after ${Math.round(options.timeoutMs / 1000)} s: ${reason}`,
        );
      }
      const probe = await probeSshBanner(target.host, target.port, Math.min(2_000, left));
      if (probe.ok) {
        const result = await this.run(target, 'true', {
          timeoutMs: Math.max(1_000, Math.min(15_000, left)),
        }).catch((error: Error) => ({ code: -1, stdout: '', stderr: error.message }));
        if (result.code === 0) return;
        reason = `ssh exited ${result.code}: ${result.stderr.trim() || 'no output'}`;
      } else {
        reason = probe.reason;
      }
      await sleep(Math.min(this.retryDelayMs, Math.max(0, deadline - Date.now())), undefined, {
        signal: options.signal,
      }).catch(() => options.signal?.throwIfAborted());
    }
  }

  /**
   * Runs a shell command line in the guest once a session slot is free; exit code 255 is ssh's own failure.
   * `timeoutMs` counts from the start of ssh, not from the wait for a slot.
   * @throws SkiffError timeout (the ssh process is killed); internal when ssh cannot be run or the output
   * passes `maxOutputBytes` (default 16 MiB); the abort reason when `signal` fires
   */
  run(
    target: SshTarget,
    command: string,
    options: { timeoutMs?: number; input?: string; signal?: AbortSignal; maxOutputBytes?: number } = {},
  ): Promise<{ code: number; stdout: string; stderr: string }> {
    return this.limit(() => this.runNow(target, command, options));
  }

  private runNow(
    target: SshTarget,
    command: string,
    options: { timeoutMs?: number; input?: string; signal?: AbortSignal; maxOutputBytes?: number },
  ): Promise<{ code: number; stdout: string; stderr: string }> {
    const timeoutMs = options.timeoutMs ?? 60_000;
    const maxOutputBytes = options.maxOutputBytes ?? DEFAULT_MAX_OUTPUT_BYTES;
    if (options.signal?.aborted) return Promise.reject(options.signal.reason as Error);
    const connectTimeoutSec = Math.max(1, Math.min(10, Math.floor(timeoutMs / 1000)));
    return new Promise((resolve, reject) => {
      const child = spawn(this.sshBinary, sshCommandArgs(target, command, { connectTimeoutSec }), {
        stdio: ['pipe', 'pipe', 'pipe'],
      });
      const out: Buffer[] = [];
      const err: Buffer[] = [];
      let outputBytes = 0;
      let settled = false;
      // Settle now rather than on 'close': a remote-side helper could keep the pipes open.
      const abandon = (error: Error): void => {
        clearTimeout(timer);
        if (settled) return;
        settled = true;
        child.kill('SIGKILL');
        child.stdout.destroy();
        child.stderr.destroy();
        reject(error);
      };
      const timer = setTimeout(
        () =>
          abandon(
            new SkiffError(
              'timeout',
              `ssh ${target.user}@${target.host}:${target.port} "${command}" timed out after ${timeoutMs} ms`,
            ),
          ),
        timeoutMs,
      );
      const onAbort = (): void => abandon(options.signal?.reason as Error);
      options.signal?.addEventListener('abort', onAbort, { once: true });
      child.once('close', () => options.signal?.removeEventListener('abort', onAbort));
      const collect = (into: Buffer[]) => (chunk: Buffer) => {
        outputBytes += chunk.length;
        if (outputBytes > maxOutputBytes) {
          abandon(
            new SkiffError(
              'internal',
              `ssh ${target.user}@${target.host}:${target.port} "${command}" wrote more than ${maxOutputBytes} bytes`,
            ),
          );
        } else into.push(chunk);
      };
      child.stdout.on('data', collect(out));
      child.stderr.on('data', collect(err));
      child.stdin.on('error', () => undefined); // the command may exit without reading its input
      child.stdin.end(options.input ?? '');
      child.once('error', (error: NodeJS.ErrnoException) => {
        clearTimeout(timer);
        if (settled) return;
        settled = true;
        reject(
          error.code === 'ENOENT'
            ? new MissingDependencyError(
                `${this.sshBinary} not found on PATH: install the openssh-client package`,
                { program: this.sshBinary, package: 'openssh-client', cause: error },
              )
            : new SkiffError('internal', `cannot run ${this.sshBinary}: ${error.message}`, { cause: error }),
        );
      });
      child.once('close', (code, signal) => {
        clearTimeout(timer);
        if (settled) return;
        settled = true;
        resolve({
          code: code ?? (signal ? 128 + (constants.signals[signal] ?? 0) : 255),
          stdout: Buffer.concat(out).toString('utf8'),
          stderr: Buffer.concat(err).toString('utf8'),
        });
      });
    });
  }
}
