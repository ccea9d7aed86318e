/**
 * @module Helpers to boot skiff's test image (images/test-image/) under QEMU and reach it: build or reuse the
 * cached image, free loopback ports, NoCloud seed ISOs, SSH keys and commands, the SSH-banner readiness
 * probe, QMP commands, and a QEMU process that dies with the test. Every wait is bounded.
 *
 * Readiness is the `SSH-` banner, not a TCP connect: QEMU user networking accepts a forwarded connection
 * before anything listens in the guest.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { connect, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { REPO_ROOT } from './skiff-process.js';

export interface CommandResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** Runs a program to completion, collecting its output; SIGKILLed after `timeoutMs`. Never rejects. */
export function run(
  argv: readonly string[],
  options: { timeoutMs?: number; input?: string; env?: NodeJS.ProcessEnv; cwd?: string } = {},
): Promise<CommandResult> {
  return new Promise((resolve) => {
    const child = spawn(argv[0]!, argv.slice(1), {
      stdio: [options.input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
      env: options.env ?? process.env,
      cwd: options.cwd,
    });
    let stdout = '';
    let stderr = '';
    child.stdout!.setEncoding('utf8').on('data', (c: string) => (stdout += c));
    child.stderr!.setEncoding('utf8').on('data', (c: string) => (stderr += c));
    if (options.input !== undefined) child.stdin!.end(options.input);
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 60_000);
    child.on('error', (error) => {
      clearTimeout(timer);
      resolve({ code: null, signal: null, stdout, stderr: stderr + String(error) });
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    });
  });
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Builds the test image or reuses the cached one (`bash images/test-image/build.sh`, the same as
 * `npm run test-image`) and returns the image's absolute path (the script's last stdout line).
 */
export async function buildTestImage(options: { timeoutMs?: number } = {}): Promise<string> {
  const result = await run(['bash', join(REPO_ROOT, 'images', 'test-image', 'build.sh')], {
    timeoutMs: options.timeoutMs ?? 15 * 60_000,
  });
  const lines = result.stdout.trim().split('\n');
  const path = lines[lines.length - 1]?.trim() ?? '';
  if (result.code !== 0 || !path.startsWith('/')) {
    throw new Error(
      `test image build failed (exit ${result.code ?? result.signal}):\n${result.stderr.slice(-4000)}`,
    );
  }
  return path;
}

/** A TCP port that was free on 127.0.0.1 a moment ago (the kernel's pick). */
export function freeLoopbackPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => (port ? resolve(port) : reject(new Error('no port'))));
    });
  });
}

/** Creates a qcow2 overlay backed by `base` (format detected), of `size` (e.g. "2G") or the base's size. */
export async function createOverlay(base: string, overlay: string, size?: string): Promise<void> {
  const info = await run(['qemu-img', 'info', '--output=json', base], { timeoutMs: 30_000 });
  if (info.code !== 0) throw new Error(`qemu-img info ${base}: ${info.stderr}`);
  const format = (JSON.parse(info.stdout) as { format: string }).format;
  const argv = ['qemu-img', 'create', '-q', '-f', 'qcow2', '-F', format, '-b', base, overlay];
  if (size) argv.push(size);
  const created = await run(argv, { timeoutMs: 30_000 });
  if (created.code !== 0) throw new Error(`qemu-img create ${overlay}: ${created.stderr}`);
}

export interface SeedFiles {
  'meta-data': string;
  'user-data': string;
  'vendor-data'?: string;
  'network-config'?: string;
}

/** Writes a NoCloud seed: an ISO9660 volume labelled `cidata` (genisoimage, or xorriso when it is missing). */
export async function writeSeedIso(isoPath: string, files: SeedFiles): Promise<void> {
  const staging = await mkdtemp(join(tmpdir(), 'skiff-seed-'));
  try {
    const names = Object.keys(files).sort();
    for (const name of names) await writeFile(join(staging, name), files[name as keyof SeedFiles]!);
    const paths = names.map((name) => join(staging, name));
    let result = await run(
      ['genisoimage', '-quiet', '-output', isoPath, '-volid', 'cidata', '-joliet', '-rock', ...paths],
      { timeoutMs: 30_000 },
    );
    if (result.code === null) {
      result = await run(
        ['xorriso', '-as', 'mkisofs', '-quiet', '-o', isoPath, '-V', 'cidata', '-J', '-R', ...paths],
        {
          timeoutMs: 30_000,
        },
      );
    }
    if (result.code !== 0) throw new Error(`cannot write the seed ISO ${isoPath}: ${result.stderr}`);
  } finally {
    await rm(staging, { recursive: true, force: true });
  }
}

export interface SshKey {
  /** Private key file. */
  path: string;
  /** The public key line ("ssh-ed25519 AAAA... comment"). */
  publicKey: string;
}

/** Generates an ed25519 key pair without passphrase as `dir/name` and `dir/name.pub`. */
export async function generateSshKey(
  dir: string,
  name = 'id_ed25519',
  comment = 'skiff-test',
): Promise<SshKey> {
  const path = join(dir, name);
  const result = await run(['ssh-keygen', '-q', '-t', 'ed25519', '-N', '', '-C', comment, '-f', path], {
    timeoutMs: 30_000,
  });
  if (result.code !== 0) throw new Error(`ssh-keygen: ${result.stderr}`);
  return { path, publicKey: (await readFile(`${path}.pub`, 'utf8')).trim() };
}

export interface SshTarget {
  port: number;
  keyPath: string;
  user?: string;
  host?: string;
}

/** Runs `command` over SSH (OpenSSH client, batch mode, no host-key checking). Never rejects. */
export function sshRun(
  target: SshTarget,
  command: string,
  options: { timeoutMs?: number } = {},
): Promise<CommandResult> {
  return run(
    [
      'ssh',
      '-o',
      'BatchMode=yes',
      '-o',
      'StrictHostKeyChecking=no',
      '-o',
      'UserKnownHostsFile=/dev/null',
      '-o',
      'LogLevel=ERROR',
      '-o',
      'ConnectTimeout=10',
      '-o',
      'IdentitiesOnly=yes',
      '-o',
      'ServerAliveInterval=5',
      '-o',
      'ServerAliveCountMax=3',
      '-i',
      target.keyPath,
      '-p',
      String(target.port),
      `${target.user ?? 'ubuntu'}@${target.host ?? '127.0.0.1'}`,
      command,
    ],
    { timeoutMs: options.timeoutMs ?? 60_000 },
  );
}

/** One attempt: connects and resolves the first line the server sends if it starts with "SSH-", else null. */
export function readSshBanner(port: number, host = '127.0.0.1', timeoutMs = 2000): Promise<string | null> {
  return new Promise((resolve) => {
    let data = '';
    const socket = connect({ port, host });
    const done = (banner: string | null): void => {
      clearTimeout(timer);
      socket.destroy();
      resolve(banner);
    };
    const timer = setTimeout(() => done(null), timeoutMs);
    socket.setEncoding('latin1');
    socket.on('data', (chunk: string) => {
      data += chunk;
      const line = data.split('\n')[0]!;
      if (data.includes('\n') || data.length >= 255) done(line.startsWith('SSH-') ? line.trimEnd() : null);
    });
    socket.on('error', () => done(null));
    socket.on('close', () => done(null));
  });
}

/** Polls for the SSH banner until `timeoutMs`; `alive` (e.g. "qemu still runs") ends the wait early. */
export async function waitForSshBanner(
  port: number,
  options: { host?: string; timeoutMs?: number; alive?: () => boolean } = {},
): Promise<string> {
  const end = Date.now() + (options.timeoutMs ?? 120_000);
  while (Date.now() < end) {
    if (options.alive && !options.alive()) throw new Error('the VM stopped before its SSH server answered');
    const banner = await readSshBanner(port, options.host, Math.min(2000, Math.max(100, end - Date.now())));
    if (banner) return banner;
    await sleep(250);
  }
  throw new Error(`no SSH banner on port ${port} within ${options.timeoutMs ?? 120_000} ms`);
}

/**
 * Sends one QMP command on a unix socket (greeting, qmp_capabilities, then the command) and resolves its
 * `return` value; rejects on a QMP error, a closed socket or after `timeoutMs`.
 */
export function qmpCommand(
  socketPath: string,
  execute: string,
  args?: Record<string, unknown>,
  options: { timeoutMs?: number } = {},
): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const socket = connect({ path: socketPath });
    let buffer = '';
    let stage: 'greeting' | 'capabilities' | 'command' = 'greeting';
    const finish = (error: Error | null, value?: unknown): void => {
      clearTimeout(timer);
      socket.destroy();
      if (error) reject(error);
      else resolve(value);
    };
    const timer = setTimeout(
      () => finish(new Error(`QMP ${execute}: no answer within ${options.timeoutMs ?? 10_000} ms`)),
      options.timeoutMs ?? 10_000,
    );
    const send = (message: object): void => void socket.write(`${JSON.stringify(message)}\n`);
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => {
      buffer += chunk;
      let newline: number;
      while ((newline = buffer.indexOf('\n')) >= 0) {
        const line = buffer.slice(0, newline).trim();
        buffer = buffer.slice(newline + 1);
        if (!line) continue;
        let message: {
          QMP?: unknown;
          event?: string;
          return?: unknown;
          error?: { desc?: string };
          id?: string;
        };
        try {
          message = JSON.parse(line) as typeof message;
        } catch {
          finish(new Error(`QMP: not JSON: ${line}`));
          return;
        }
        if (message.event) continue;
        if (stage === 'greeting' && message.QMP) {
          stage = 'capabilities';
          send({ execute: 'qmp_capabilities' });
        } else if (message.error) {
          finish(
            new Error(
              `QMP ${stage === 'command' ? execute : 'qmp_capabilities'}: ${message.error.desc ?? line}`,
            ),
          );
        } else if (stage === 'capabilities' && 'return' in message) {
          stage = 'command';
          send(args ? { execute, arguments: args, id: 'skiff' } : { execute, id: 'skiff' });
        } else if (stage === 'command' && 'return' in message) {
          finish(null, message.return);
        }
      }
    });
    socket.on('error', (error) => finish(new Error(`QMP ${execute}: ${error.message}`)));
    socket.on('close', () => finish(new Error(`QMP ${execute}: socket closed`)));
  });
}

export interface QemuVmOptions {
  /** Boot disk (qcow2), attached as virtio-blk. */
  disk: string;
  /** NoCloud seed ISO, attached as a read-only virtio disk. */
  seedIso?: string;
  /** Folder for the QMP socket, pidfile and serial console log. */
  workDir: string;
  /** Host port forwarded from 127.0.0.1 to the guest's port 22; a free one when omitted. */
  sshPort?: number;
  memoryMiB?: number;
  cpus?: number;
  extraArgs?: string[];
}

/**
 * A QEMU process (TCG, `pc` machine, SeaBIOS booting the disk) started for a test: user-mode networking with
 * an SSH port forward on 127.0.0.1, virtio-rng, QMP on a unix socket, serial console to a file. It runs under
 * `setpriv --pdeathsig KILL`, so it dies with the test process whatever happens.
 */
export class QemuTestVm {
  private stderr = '';
  private readonly exitPromise: Promise<void>;

  private constructor(
    readonly child: ChildProcess,
    readonly sshPort: number,
    readonly qmpSocket: string,
    readonly pidFile: string,
    readonly consoleLog: string,
    readonly startedAt: number,
  ) {
    child.stderr?.setEncoding('utf8').on('data', (c: string) => (this.stderr += c));
    this.exitPromise = new Promise((resolve) => {
      if (this.exited) resolve();
      else child.once('exit', () => resolve());
    });
  }

  static async start(options: QemuVmOptions): Promise<QemuTestVm> {
    const sshPort = options.sshPort ?? (await freeLoopbackPort());
    const qmpSocket = join(options.workDir, 'qmp.sock');
    const pidFile = join(options.workDir, 'qemu.pid');
    const consoleLog = join(options.workDir, 'console.log');
    await rm(qmpSocket, { force: true });
    const argv = [
      'qemu-system-x86_64',
      '-nodefaults',
      '-machine',
      'pc',
      '-accel',
      'tcg',
      '-m',
      `${options.memoryMiB ?? 512}M`,
      '-smp',
      String(options.cpus ?? 1),
      '-display',
      'none',
      '-serial',
      `file:${consoleLog}`,
      '-drive',
      `file=${options.disk},format=qcow2,if=virtio`,
      ...(options.seedIso ? ['-drive', `file=${options.seedIso},format=raw,if=virtio,readonly=on`] : []),
      '-netdev',
      `user,id=net0,hostfwd=tcp:127.0.0.1:${sshPort}-:22`,
      '-device',
      'virtio-net-pci,netdev=net0',
      '-device',
      'virtio-rng-pci',
      '-qmp',
      `unix:${qmpSocket},server=on,wait=off`,
      '-pidfile',
      pidFile,
      ...(options.extraArgs ?? []),
    ];
    const child = spawn('setpriv', ['--pdeathsig', 'KILL', '--', ...argv], {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    const vm = new QemuTestVm(child, sshPort, qmpSocket, pidFile, consoleLog, Date.now());
    await new Promise<void>((resolve, reject) => {
      child.once('spawn', resolve);
      child.once('error', reject);
    });
    return vm;
  }

  get exited(): boolean {
    return this.child.exitCode !== null || this.child.signalCode !== null;
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  /** QEMU's stderr so far plus the tail of the serial console, for failure messages. */
  async diagnostics(): Promise<string> {
    const console = await readFile(this.consoleLog, 'utf8').catch(() => '');
    return `qemu stderr: ${this.stderr.trim() || '(none)'}\nserial console (tail):\n${console.slice(-3000)}`;
  }

  /** Waits for the SSH banner, then for `ssh ... true` to succeed with this key (the keys arrive with cloud-init). */
  async waitForSsh(target: Omit<SshTarget, 'port'>, timeoutMs = 180_000): Promise<void> {
    const end = Date.now() + timeoutMs;
    const alive = (): boolean => !this.exited;
    try {
      await waitForSshBanner(this.sshPort, { timeoutMs, alive });
      let last: CommandResult | undefined;
      while (Date.now() < end && alive()) {
        last = await this.ssh(target, 'true', Math.min(30_000, Math.max(1000, end - Date.now())));
        if (last.code === 0) return;
        await sleep(500);
      }
      throw new Error(
        `ssh never succeeded: ${last ? `exit ${last.code}: ${last.stderr.trim()}` : 'VM stopped'}`,
      );
    } catch (error) {
      throw new Error(`${(error as Error).message}\n${await this.diagnostics()}`);
    }
  }

  ssh(target: Omit<SshTarget, 'port'>, command: string, timeoutMs = 60_000): Promise<CommandResult> {
    return sshRun({ ...target, port: this.sshPort }, command, { timeoutMs });
  }

  qmp(execute: string, args?: Record<string, unknown>): Promise<unknown> {
    return qmpCommand(this.qmpSocket, execute, args);
  }

  /** Resident set size of the QEMU process in KiB (from /proc), or undefined once it is gone. */
  async rssKiB(): Promise<number | undefined> {
    if (this.exited || this.pid === undefined) return undefined;
    const status = await readFile(`/proc/${this.pid}/status`, 'utf8').catch(() => '');
    const match = /^VmRSS:\s+(\d+)\s+kB/m.exec(status);
    return match ? Number(match[1]) : undefined;
  }

  /** Resolves when QEMU has exited; rejects after `timeoutMs`. */
  async waitForExit(timeoutMs: number): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`qemu still running after ${timeoutMs} ms`)), timeoutMs);
    });
    try {
      await Promise.race([this.exitPromise, timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  /** ACPI power button (QMP system_powerdown), then waits for QEMU to exit; resolves the time it took (ms). */
  async powerdown(timeoutMs = 20_000): Promise<number> {
    const start = Date.now();
    await this.qmp('system_powerdown');
    await this.waitForExit(timeoutMs);
    return Date.now() - start;
  }

  /** SIGKILLs QEMU (if still running) and waits for it to be gone. Safe to call at any time. */
  async kill(): Promise<void> {
    if (this.exited) return;
    this.child.kill('SIGKILL');
    await this.waitForExit(10_000);
  }
}
