/**
 * @module Child processes for the namespace harness: every one is started under `setpriv --pdeathsig KILL`,
 * every wait is bounded, and service children speak a small line protocol on stdout/stdin.
 */
import { spawn } from 'node:child_process';
import type { ChildProcess, SpawnOptions } from 'node:child_process';
import { createInterface } from 'node:readline';

/**
 * Spawns `argv` so that it is SIGKILLed if this process dies, even by SIGKILL. setpriv, unshare (without
 * --fork) and nsenter (without -p) all exec in place, so the final program keeps the PID and the signal.
 */
export function spawnDying(argv: readonly string[], options: SpawnOptions = {}): ChildProcess {
  return spawn('setpriv', ['--pdeathsig', 'KILL', '--', ...argv], {
    stdio: ['ignore', 'pipe', 'pipe'],
    ...options,
  });
}

/** True once the child has exited or was killed. */
export const hasExited = (child: ChildProcess): boolean =>
  child.exitCode !== null || child.signalCode !== null;

/** Resolves when the child has exited; rejects after `timeoutMs`. */
export async function waitForExit(child: ChildProcess, timeoutMs: number): Promise<void> {
  if (hasExited(child)) return;
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`pid ${child.pid} still running after ${timeoutMs} ms`)),
      timeoutMs,
    );
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
  });
}

/** Resolves on the child's first stdout output (a "ready" line); rejects, with stderr, if it exits first or times out. */
export async function waitForOutput(child: ChildProcess, name: string, timeoutMs: number): Promise<void> {
  let stderr = '';
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  await new Promise<void>((resolve, reject) => {
    const fail = (why: string): void => reject(new Error(`${name}: ${why}; stderr: ${stderr.trim()}`));
    const timer = setTimeout(() => fail(`no output after ${timeoutMs} ms`), timeoutMs);
    child.stdout?.once('data', () => {
      clearTimeout(timer);
      resolve();
    });
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      fail(`exited with ${code ?? signal}`);
    });
  });
}

/** Polls `predicate` every `stepMs` until true; rejects with `what` after `timeoutMs`. */
export async function waitFor(
  predicate: () => boolean | Promise<boolean>,
  { timeoutMs = 5000, stepMs = 20, what = 'condition' } = {},
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await predicate())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, stepMs));
  }
}

export interface ExecOptions {
  timeoutMs?: number;
  /** Written to stdin, which is then closed. */
  input?: string;
  env?: NodeJS.ProcessEnv;
}

/**
 * Runs `argv` (under PDEATHSIG) to completion and resolves to its stdout. Rejects, with stderr in the message,
 * on a non-zero exit or after `timeoutMs` (default 10 s; the child is SIGKILLed then).
 */
export async function execDying(argv: readonly string[], options: ExecOptions = {}): Promise<string> {
  const timeoutMs = options.timeoutMs ?? 10_000;
  const stdin = options.input === undefined ? 'ignore' : 'pipe';
  const child = spawnDying(argv, { stdio: [stdin, 'pipe', 'pipe'], env: options.env ?? process.env });
  let stdout = '';
  let stderr = '';
  child.stdout?.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  // A child that exits without reading its input must not crash us with EPIPE.
  child.stdin?.on('error', () => undefined).end(options.input);
  const command = argv.join(' ');
  return new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${command}: timed out after ${timeoutMs} ms; stderr: ${stderr.trim()}`));
    }, timeoutMs);
    child.once('error', (error) => {
      clearTimeout(timer);
      reject(new Error(`${command}: ${error.message}`, { cause: error }));
    });
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      if (code === 0) resolve(stdout);
      else reject(new Error(`${command}: exited with ${code ?? signal}; stderr: ${stderr.trim()}`));
    });
  });
}

/**
 * The stdout/stdin line protocol of mirror-main and dns-main: `listening <url>` when ready, `<kind> <json>`
 * log records, and `ok <op>` / `error <message>` acknowledging each JSON command written to stdin.
 */
export class ServiceChannel {
  readonly #child: ChildProcess;
  readonly #name: string;
  readonly #acks: { resolve: () => void; reject: (error: Error) => void }[] = [];
  #listening: string | undefined;
  #stderr = '';

  constructor(name: string, child: ChildProcess, onRecord: (kind: string, record: unknown) => void) {
    this.#name = name;
    this.#child = child;
    child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
      this.#stderr = (this.#stderr + chunk).slice(-4000);
    });
    // Writing a command to a child that just died must reject the ack, not crash us with EPIPE.
    child.stdin?.on('error', () => undefined);
    if (child.stdout === null) throw new Error(`${name}: stdout must be a pipe`);
    createInterface({ input: child.stdout }).on('line', (line) => {
      const space = line.indexOf(' ');
      const kind = space < 0 ? line : line.slice(0, space);
      const rest = space < 0 ? '' : line.slice(space + 1);
      if (kind === 'listening') this.#listening = rest;
      else if (kind === 'ok') this.#acks.shift()?.resolve();
      else if (kind === 'error') this.#acks.shift()?.reject(new Error(`${name}: ${rest}`));
      else if (rest.startsWith('{')) onRecord(kind, JSON.parse(rest));
    });
    child.once('exit', () => {
      for (const ack of this.#acks.splice(0))
        ack.reject(new Error(`${name}: exited; stderr: ${this.#stderr}`));
    });
  }

  /** Resolves to the address from the `listening` line; rejects if the child exits first or after `timeoutMs`. */
  async ready(timeoutMs: number): Promise<string> {
    await waitFor(
      () => {
        if (hasExited(this.#child)) {
          throw new Error(
            `${this.#name}: exited with ${this.#child.exitCode}; stderr: ${this.#stderr.trim()}`,
          );
        }
        return this.#listening !== undefined;
      },
      { timeoutMs, stepMs: 5, what: `${this.#name} to listen` },
    );
    return this.#listening ?? '';
  }

  /** Sends one JSON command and resolves on its `ok`; rejects on `error`, exit, or after `timeoutMs`. */
  async send(command: object, timeoutMs: number): Promise<void> {
    const stdin = this.#child.stdin;
    if (stdin === null || hasExited(this.#child)) throw new Error(`${this.#name}: not running`);
    let timer: NodeJS.Timeout | undefined;
    const acked = new Promise<void>((resolve, reject) => {
      const ack = { resolve, reject };
      this.#acks.push(ack);
      timer = setTimeout(() => {
        // Drop the waiter so a late `ok` cannot be paired with the next command.
        this.#acks.splice(this.#acks.indexOf(ack), 1);
        reject(new Error(`${this.#name}: no ack within ${timeoutMs} ms`));
      }, timeoutMs);
    });
    stdin.write(`${JSON.stringify(command)}\n`);
    try {
      await acked;
    } finally {
      clearTimeout(timer);
    }
  }
}
