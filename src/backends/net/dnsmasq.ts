/**
 * @module dnsmasq as skiff runs it: spawned detached (own session, stdio to a log file, unref'd) so it
 * outlives the daemon and guests keep DHCP and DNS across a restart; re-adopted by the next daemon through its
 * pidfile, trusted only when /proc/PID/cmdline is a dnsmasq with skiff's pidfile argument.
 *
 * Files: the pidfile, leases and log live in the (root-only) state dir: dnsmasq opens them while still root.
 * The two files it re-reads on SIGHUP live in `runDir`, which every path component must let others enter:
 * dnsmasq drops to user nobody after start-up, and running it as root for the sake of two files would expose
 * a root process to every guest's DHCP and DNS packets.
 */
import { spawn } from 'node:child_process';
import { chmod, mkdir, open, readFile, rename, rm, rmdir, stat, truncate, writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { SkiffError } from '../../core/errors.js';
import type {
  DnsDhcpConfig,
  DnsDhcpOutcome,
  DnsDhcpServer,
  Reservation,
} from '../../services/network/ports.js';
import { missingTool } from './command.js';
import { dnsmasqArgs, type DnsmasqPaths } from './dnsmasq-args.js';
import { addnHostsFile, dhcpHostsFile, parseLeases } from './dnsmasq-files.js';

export interface DnsmasqServerOptions {
  /** Root-only state: pidfile, leases, log. */
  stateDir: string;
  /** World-enterable: the hosts files dnsmasq re-reads as nobody. */
  runDir: string;
  /** Default /etc/resolv.conf. */
  resolvFile?: string;
  /** Default `dnsmasq` (on PATH). */
  binary?: string;
  /** Bound on start-up and on stopping; default 5000. */
  timeoutMs?: number;
}

/** The log is cut back when it grows past this at a (re)start: DHCP chatter must not fill the disk. */
const MAX_LOG_BYTES = 1024 * 1024;

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export class DnsmasqServer implements DnsDhcpServer {
  readonly paths: DnsmasqPaths;
  readonly #o: DnsmasqServerOptions;
  readonly #logFile: string;

  constructor(options: DnsmasqServerOptions) {
    this.#o = options;
    this.paths = {
      pidFile: join(options.stateDir, 'dnsmasq.pid'),
      leaseFile: join(options.stateDir, 'dnsmasq.leases'),
      hostsFile: join(options.runDir, 'dhcp-hosts'),
      addnHostsFile: join(options.runDir, 'hosts'),
      resolvFile: options.resolvFile ?? '/etc/resolv.conf',
    };
    this.#logFile = join(options.stateDir, 'dnsmasq.log');
  }

  async ensure(config: DnsDhcpConfig): Promise<DnsDhcpOutcome> {
    const args = dnsmasqArgs(config, this.paths);
    const found = await this.#inspect();
    let why: string;
    if (found.kind === 'ours') {
      if (sameArgs(found.args, args)) return { action: 'adopted', pid: found.pid };
      await this.#kill(found.pid);
      why = `its configuration changed (pid ${found.pid} stopped)`;
    } else {
      why = found.kind === 'none' ? 'it was not running' : `pid ${found.pid} of its pidfile is gone`;
    }
    return { action: 'started', pid: await this.#start(args), why };
  }

  async running(): Promise<number | null> {
    const found = await this.#inspect().catch(() => null);
    return found?.kind === 'ours' ? found.pid : null;
  }

  async setReservations(reservations: readonly Reservation[], domain: string): Promise<void> {
    await this.#prepareRunDir();
    await writeShared(this.paths.hostsFile, dhcpHostsFile(reservations));
    await writeShared(this.paths.addnHostsFile, addnHostsFile(reservations, domain));
    const pid = await this.running();
    // dnsmasq re-reads --dhcp-hostsfile and --addn-hosts on SIGHUP (and clears its cache).
    if (pid !== null) process.kill(pid, 'SIGHUP');
  }

  async leases(): Promise<Map<string, string[]>> {
    try {
      return parseLeases(await readFile(this.paths.leaseFile, 'utf8'), Math.floor(Date.now() / 1000));
    } catch {
      return new Map();
    }
  }

  async stop(options: { removeFiles?: boolean } = {}): Promise<number | null> {
    const found = await this.#inspect();
    if (found.kind === 'ours') await this.#kill(found.pid);
    else await rm(this.paths.pidFile, { force: true });
    if (options.removeFiles) {
      await rm(this.paths.hostsFile, { force: true });
      await rm(this.paths.addnHostsFile, { force: true });
      // Only when empty: the run dir may be shared with files that are not ours.
      await rmdir(this.#o.runDir).catch(() => undefined);
    }
    return found.kind === 'ours' ? found.pid : null;
  }

  /** What the pidfile points at. */
  async #inspect(): Promise<
    { kind: 'none' } | { kind: 'gone'; pid: number } | { kind: 'ours'; pid: number; args: string[] }
  > {
    const text = await readFile(this.paths.pidFile, 'utf8').catch(() => null);
    const pid = text === null ? NaN : Number(text.trim());
    if (!Number.isSafeInteger(pid) || pid <= 1) return { kind: 'none' };
    const argv = await cmdline(pid);
    // Ours: a dnsmasq started with our pidfile (a recycled pid is some other program, or lacks it).
    const ours =
      argv.length > 0 &&
      basename(argv[0] ?? '') === 'dnsmasq' &&
      argv.includes(`--pid-file=${this.paths.pidFile}`);
    return ours ? { kind: 'ours', pid, args: argv.slice(1) } : { kind: 'gone', pid };
  }

  async #start(args: string[]): Promise<number> {
    await mkdir(this.#o.stateDir, { recursive: true, mode: 0o700 });
    await this.#prepareRunDir();
    for (const file of [this.paths.hostsFile, this.paths.addnHostsFile]) {
      await stat(file).catch(() => writeShared(file, ''));
    }
    await rm(this.paths.pidFile, { force: true });
    const size = await stat(this.#logFile).then(
      (s) => s.size,
      () => 0,
    );
    if (size > MAX_LOG_BYTES) await truncate(this.#logFile, 0);
    const log = await open(this.#logFile, 'a', 0o600);
    const binary = this.#o.binary ?? 'dnsmasq';
    let child;
    try {
      child = spawn(binary, args, { detached: true, stdio: ['ignore', log.fd, log.fd] });
    } finally {
      await log.close();
    }
    child.unref();
    let failure: Error | null = null;
    child.once('error', (error) => {
      failure = (error as NodeJS.ErrnoException).code === 'ENOENT' ? missingTool('dnsmasq', error) : error;
    });
    let exit: string | null = null;
    child.once('exit', (code, signal) => (exit = String(code ?? signal)));
    const deadline = Date.now() + (this.#o.timeoutMs ?? 5000);
    // Ready when it wrote its pidfile: by then its sockets are bound.
    for (;;) {
      if (failure !== null) throw failure;
      if (exit !== null) {
        const tail = (await readFile(this.#logFile, 'utf8').catch(() => '')).slice(-2000).trim();
        throw new SkiffError('internal', `dnsmasq exited with ${exit} at start: ${lastLines(tail)}`);
      }
      const text = await readFile(this.paths.pidFile, 'utf8').catch(() => '');
      if (child.pid !== undefined && text.trim() === String(child.pid)) return child.pid;
      if (Date.now() > deadline) {
        child.kill('SIGKILL');
        throw new SkiffError('timeout', `dnsmasq did not start within ${this.#o.timeoutMs ?? 5000} ms`);
      }
      await sleep(10);
    }
  }

  async #kill(pid: number): Promise<void> {
    const timeoutMs = this.#o.timeoutMs ?? 5000;
    signal(pid, 'SIGTERM');
    const deadline = Date.now() + timeoutMs;
    while ((await cmdline(pid)).length > 0) {
      if (Date.now() > deadline) {
        signal(pid, 'SIGKILL');
        break;
      }
      await sleep(10);
    }
    await rm(this.paths.pidFile, { force: true });
  }

  /**
   * Creates the run dir and any parent it lacks with mode 0755 (the daemon's umask 0077 would make them 0700),
   * and checks that user nobody can reach it: existing parents are left as they are.
   */
  async #prepareRunDir(): Promise<void> {
    const dir = this.#o.runDir;
    const first = await mkdir(dir, { recursive: true, mode: 0o755 });
    for (let d = dir; first !== undefined; d = dirname(d)) {
      await chmod(d, 0o755);
      if (d === first || d === dirname(d)) break;
    }
    await chmod(dir, 0o755);
    for (let d = dirname(dir); ; d = dirname(d)) {
      if (((await stat(d)).mode & 0o001) === 0) {
        throw new SkiffError(
          'internal',
          `dnsmasq cannot reach ${dir}: ${d} does not let other users enter it (dnsmasq runs as nobody)`,
          { details: { path: d } },
        );
      }
      if (d === dirname(d)) break;
    }
  }
}

/** Replaces a file dnsmasq reads, atomically, readable by all (mode 0644). */
async function writeShared(path: string, text: string): Promise<void> {
  const temp = `${path}.${process.pid}.tmp`;
  await writeFile(temp, text, { mode: 0o644 });
  await chmod(temp, 0o644);
  await rename(temp, path);
}

/** The argv of `pid`; empty when it is gone or a zombie (a zombie's cmdline is empty). */
async function cmdline(pid: number): Promise<string[]> {
  const raw = await readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '');
  return raw.split('\0').filter((part, i, all) => part !== '' || i < all.length - 1);
}

function signal(pid: number, name: NodeJS.Signals): void {
  try {
    process.kill(pid, name);
  } catch {
    // already gone
  }
}

const sameArgs = (a: readonly string[], b: readonly string[]): boolean =>
  a.length === b.length && a.every((arg, i) => arg === b[i]);

const lastLines = (text: string): string => text.split('\n').slice(-3).join(' | ') || 'no output';
