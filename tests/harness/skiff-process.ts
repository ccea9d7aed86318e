/**
 * @module Real skiffd and skiff processes for integration tests: a daemon with its own data dir and socket,
 * and a CLI runner that captures output and the exit code.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { request } from 'node:http';

export const REPO_ROOT = fileURLToPath(new URL('../../../', import.meta.url));
export const SKIFFD = join(REPO_ROOT, 'bin', 'skiffd');
export const SKIFF = join(REPO_ROOT, 'bin', 'skiff');

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

export interface DaemonStartOptions {
  /** Base URL for --image-mirror. Always given in tests, so no test ever reaches the Ubuntu hosts. */
  mirror: string;
  dataDir?: string;
  /** Default: `skiffd.sock` in the data dir (reachable by root only, as the data dir is 0700). */
  socket?: string;
  args?: string[];
  /**
   * `--network-mode`; default `user`: a daemon in the machine's own namespace must never make a bridge there.
   * Only daemons inside a test's own network namespace may use `nat`.
   */
  networkMode?: 'nat' | 'user';
  env?: NodeJS.ProcessEnv;
  /** Wraps the argv, e.g. to run the daemon inside a network namespace. */
  spawnWith?: (argv: string[], env: NodeJS.ProcessEnv) => ChildProcess;
}

export class SkiffDaemon {
  private output = '';
  private constructor(
    readonly dataDir: string,
    readonly socket: string,
    readonly child: ChildProcess,
    private readonly ownsDir: boolean,
  ) {
    child.stdout?.setEncoding('utf8').on('data', (c: string) => (this.output += c));
    child.stderr?.setEncoding('utf8').on('data', (c: string) => (this.output += c));
  }

  /** Starts skiffd and resolves once it answers on its socket. */
  static async start(options: DaemonStartOptions): Promise<SkiffDaemon> {
    const ownsDir = options.dataDir === undefined;
    const dataDir = options.dataDir ?? (await mkdtemp(join(tmpdir(), 'skiff-it-')));
    const socket = options.socket ?? join(dataDir, 'skiffd.sock');
    // bin/skiffd itself (not node + the file): its shebang carries the daemon's runtime settings.
    const argv = [
      SKIFFD,
      '--data-dir',
      dataDir,
      '--socket',
      socket,
      '--image-mirror',
      options.mirror,
      '--log-level',
      'debug',
      '--network-mode',
      options.networkMode ?? 'user',
      ...(options.args ?? []),
    ];
    const env = { ...process.env, SKIFF_NO_AUTOSTART: '1', ...options.env };
    const child = options.spawnWith
      ? options.spawnWith(argv, env)
      : spawn(argv[0]!, argv.slice(1), { env, stdio: ['ignore', 'pipe', 'pipe'] });
    const daemon = new SkiffDaemon(dataDir, socket, child, ownsDir);
    await daemon.waitReady();
    return daemon;
  }

  logs(): string {
    return this.output;
  }

  /** Runs `skiff ARGS` against this daemon. */
  cli(
    args: string[],
    options: { env?: NodeJS.ProcessEnv; timeoutMs?: number; netnsOf?: number } = {},
  ): Promise<CliResult> {
    return runSkiff(args, {
      env: { SKIFF_SOCKET: this.socket, SKIFF_NO_AUTOSTART: '1', ...options.env },
      timeoutMs: options.timeoutMs,
      netnsOf: options.netnsOf,
    });
  }

  /** Starts `skiff ARGS` and returns the running process with its collected output. */
  cliStart(args: string[]): { child: ChildProcess; done: Promise<CliResult> } {
    return startSkiff(args, { SKIFF_SOCKET: this.socket, SKIFF_NO_AUTOSTART: '1' });
  }

  /** Like cliStart, with a pipe to the CLI's stdin. */
  cliStartWithInput(args: string[]): { child: ChildProcess; done: Promise<CliResult> } {
    return startSkiff(args, { SKIFF_SOCKET: this.socket, SKIFF_NO_AUTOSTART: '1' }, 'pipe');
  }

  /** GET an API path directly (for tests of the raw API). */
  get(path: string): Promise<{ status: number; body: string }> {
    return new Promise((resolve, reject) => {
      request({ socketPath: this.socket, path }, (res) => {
        let body = '';
        res.setEncoding('utf8').on('data', (c: string) => (body += c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      })
        .on('error', reject)
        .end();
    });
  }

  async remotes(): Promise<
    Array<{
      name: string;
      state: string;
      last_error: { cause: string; url: string; message: string } | null;
      last_success: string | null;
      next_attempt: string | null;
    }>
  > {
    const { body } = await this.get('/1.0/remotes');
    return (JSON.parse(body) as { remotes: [] }).remotes;
  }

  /** Polls `remotes` until `predicate` holds; fails with the last answer after `timeoutMs`. */
  async waitForRemotes(
    predicate: (remotes: Awaited<ReturnType<SkiffDaemon['remotes']>>) => boolean,
    timeoutMs = 10_000,
  ): Promise<void> {
    const end = Date.now() + timeoutMs;
    let last: unknown;
    while (Date.now() < end) {
      last = await this.remotes();
      if (predicate(last as Awaited<ReturnType<SkiffDaemon['remotes']>>)) return;
      await sleep(50);
    }
    throw new Error(
      `remotes never matched; last: ${JSON.stringify(last)}\nlogs:\n${this.output.slice(-3000)}`,
    );
  }

  /** SIGTERM and wait; the data dir stays unless it was created by start() and `keepData` is false. */
  async stop(options: { keepData?: boolean } = {}): Promise<void> {
    await this.signal('SIGTERM');
    if (this.ownsDir && !options.keepData) await rm(this.dataDir, { recursive: true, force: true });
  }

  /** Sends a signal and waits for the process to end. */
  async signal(signal: NodeJS.Signals): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    const exited = new Promise((resolve) => this.child.once('exit', resolve));
    this.child.kill(signal);
    await exited;
  }

  private async waitReady(timeoutMs = 15_000): Promise<void> {
    const end = Date.now() + timeoutMs;
    while (Date.now() < end) {
      if (this.child.exitCode !== null)
        throw new Error(`skiffd exited with ${this.child.exitCode}:\n${this.output}`);
      try {
        if ((await this.get('/1.0/version')).status === 200) return;
      } catch {
        // not listening yet
      }
      await sleep(25);
    }
    throw new Error(`skiffd did not answer within ${timeoutMs} ms:\n${this.output}`);
  }
}

/** Runs the CLI to completion (killed after timeoutMs). */
export async function runSkiff(
  args: string[],
  options: {
    env?: NodeJS.ProcessEnv;
    timeoutMs?: number;
    /** Runs the CLI in the network namespace of this pid (exec/shell then reach a namespaced bridge). */
    netnsOf?: number;
  } = {},
): Promise<CliResult> {
  const { child, done } = startSkiff(args, options.env ?? {}, 'ignore', options.netnsOf);
  const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 60_000);
  try {
    return await done;
  } finally {
    clearTimeout(timer);
  }
}

function startSkiff(
  args: string[],
  env: NodeJS.ProcessEnv,
  stdin: 'ignore' | 'pipe' = 'ignore',
  netnsOf?: number,
): { child: ChildProcess; done: Promise<CliResult> } {
  const argv = [process.execPath, SKIFF, ...args];
  const command = netnsOf === undefined ? argv : ['nsenter', '-t', String(netnsOf), '-n', '--', ...argv];
  const child = spawn(command[0]!, command.slice(1), {
    env: { ...process.env, NO_COLOR: '1', ...env },
    stdio: [stdin, 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout!.setEncoding('utf8').on('data', (c: string) => (stdout += c));
  child.stderr!.setEncoding('utf8').on('data', (c: string) => (stderr += c));
  const done = new Promise<CliResult>((resolve) =>
    child.on('close', (code) => resolve({ code, stdout, stderr })),
  );
  return { child, done };
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
