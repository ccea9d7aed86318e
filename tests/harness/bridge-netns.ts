/**
 * @module A namespace for skiff's managed network: its own network, PID and mount namespaces (a private /proc),
 * where the network runner (a daemon stand-in) makes the bridge, dnsmasq and the nftables table; and "guests",
 * each a network namespace joined to the bridge by a veth pair. dnsmasq is spawned detached and outlives the
 * runner (as it outlives skiffd), yet it cannot leak: it lives in the PID namespace, and the kernel kills every
 * process in it when its init dies, which happens with this test process (PDEATHSIG on unshare, --kill-child
 * on its init). Nothing is made in the machine's own network. Needs root, iproute2, util-linux, dnsmasq, nft,
 * busybox.
 */
import type { ChildProcess, SpawnOptions } from 'node:child_process';
import { accessSync, chmodSync, constants, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { netnsAvailability } from './netns-availability.js';
import type { RunnerCommand, RunnerConfig } from './network-runner.js';
import {
  ServiceChannel,
  execDying,
  hasExited,
  spawnDying,
  waitFor,
  waitForExit,
  waitForOutput,
} from './ns-process.js';

const HERE = fileURLToPath(new URL('.', import.meta.url));
const TOOLS = ['dnsmasq', 'nft', 'busybox'];
const IDLE = 'ip link set lo up && echo ready && exec sleep infinity';

/** A skip reason for node:test, or false; never skips under CI, so an unusable host fails instead. */
export function bridgeSkipReason(env: NodeJS.ProcessEnv = process.env): string | false {
  if (env.CI !== undefined) return false;
  const { ok, reason } = netnsAvailability();
  if (!ok) return `network namespaces unavailable: ${reason}`;
  const path = (env.PATH ?? '').split(':');
  const missing = TOOLS.filter((tool) => !path.some((dir) => exists(join(dir, tool))));
  return missing.length === 0 ? false : `missing on PATH: ${missing.join(', ')} (scripts/install-deps)`;
}

function exists(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** A network runner in the namespace: send() commands, read the answer. */
export class NetworkRunner {
  readonly #channel: ServiceChannel;
  #last: unknown = null;
  stderr = '';

  constructor(readonly child: ChildProcess) {
    child.stderr?.setEncoding('utf8').on('data', (chunk: string) => (this.stderr += chunk));
    this.#channel = new ServiceChannel('network-runner', child, (kind, record) => {
      if (kind === 'result') this.#last = (record as { result: unknown }).result;
    });
  }

  async ready(): Promise<void> {
    await this.#channel.ready(10_000);
  }

  /** Runs one command; resolves to its result, rejects with `error <code>: <message>`. */
  async send<T = unknown>(command: RunnerCommand, timeoutMs = 15_000): Promise<T> {
    this.#last = null;
    await this.#channel.send(command, timeoutMs);
    return this.#last as T;
  }

  /** SIGKILLs the runner (from inside: its pid is in another PID namespace) and waits for it to go. */
  async die(): Promise<void> {
    this.child.stdin?.write(`${JSON.stringify({ op: 'die' })}\n`);
    await waitForExit(this.child, 10_000);
  }

  async close(): Promise<void> {
    await this.send({ op: 'close' });
    await waitForExit(this.child, 10_000);
  }
}

export class BridgeNamespace {
  readonly dir: string;
  readonly #procs: ChildProcess[] = [];
  #init = 0;

  constructor() {
    this.dir = mkdtempSync(join(tmpdir(), 'skiff-bridge-'));
    // dnsmasq reads the run dir as user nobody: every component of its path must let others enter.
    chmodSync(this.dir, 0o711);
    // No upstream resolvers: names outside .skiff get no answer, and no query leaves the namespace.
    writeFileSync(this.resolvFile, '# no upstream in tests\n');
  }

  get dataDir(): string {
    return join(this.dir, 'data');
  }
  get runDir(): string {
    return join(this.dir, 'run');
  }
  get resolvFile(): string {
    return join(this.dir, 'resolv.conf');
  }
  /** PID (in our namespace) of the namespace's init, for nsenter. */
  get initPid(): number {
    return this.#init;
  }

  /** Makes the namespaces; `setup` (shell) runs inside before the holder idles (e.g. routes to collide with). */
  async start(setup = 'true'): Promise<void> {
    const unshare = ['unshare', '--net', '--pid', '--mount', '--fork', '--kill-child=KILL', '--mount-proc'];
    const holder = this.#track(
      spawnDying([...unshare, '--propagation', 'private', '--', 'sh', '-c', `${setup} && ${IDLE}`]),
    );
    await waitForOutput(holder, 'namespace holder', 10_000);
    const unsharePid = holder.pid as number;
    const children = readFileSync(`/proc/${unsharePid}/task/${unsharePid}/children`, 'utf8').trim();
    this.#init = Number(children.split(' ')[0]);
    if (!(this.#init > 0)) throw new Error(`no init process under unshare ${unsharePid}`);
  }

  /** Starts a network runner (a daemon stand-in) inside. */
  async runner(config: Partial<RunnerConfig> = {}): Promise<NetworkRunner> {
    const full: RunnerConfig = {
      dataDir: this.dataDir,
      runDir: this.runDir,
      resolvFile: this.resolvFile,
      superviseIntervalMs: 100,
      ...config,
    };
    const argv = [process.execPath, join(HERE, 'network-runner.js'), JSON.stringify(full)];
    const child = this.spawnInside(argv, { stdio: ['pipe', 'pipe', 'pipe'] });
    const runner = new NetworkRunner(child);
    await runner.ready();
    return runner;
  }

  /** Spawns `argv` in the namespace's network, PID and mount namespaces. */
  spawnInside(argv: readonly string[], options: SpawnOptions = {}): ChildProcess {
    const wd = `--wd=${process.cwd()}`;
    return this.#track(
      spawnDying(['nsenter', '-t', String(this.#init), '-n', '-p', '-m', wd, '--', ...argv], options),
    );
  }

  /** Runs `argv` to completion inside; resolves to stdout. */
  exec(argv: readonly string[], options: { timeoutMs?: number; input?: string } = {}): Promise<string> {
    const wd = `--wd=${process.cwd()}`;
    return execDying(['nsenter', '-t', String(this.#init), '-n', '-p', '-m', wd, '--', ...argv], options);
  }

  /**
   * A guest: a network namespace whose `eth0` (with `mac`) is joined by a veth pair to `bridge` as port
   * `port`, made directly in the two namespaces (never in the machine's own).
   */
  async addGuest(port: string, mac: string, bridge = 'skiffbr0'): Promise<Guest> {
    const holder = this.#track(spawnDying(['unshare', '--net', '--', 'sh', '-c', IDLE]));
    await waitForOutput(holder, 'guest holder', 10_000);
    const pid = holder.pid as number;
    await execDying([
      'ip',
      'link',
      'add',
      'eth0',
      'netns',
      String(pid),
      'address',
      mac,
      'type',
      'veth',
      'peer',
      'name',
      port,
      'netns',
      String(this.#init),
    ]);
    await this.exec(['ip', 'link', 'set', port, 'master', bridge, 'up']);
    const guest = new Guest(pid, this.dir);
    await guest.exec(['ip', 'link', 'set', 'eth0', 'up']);
    return guest;
  }

  /** SIGKILLs everything (the PID namespace, with dnsmasq, dies with its init); removes the temp dir. */
  async stop(): Promise<void> {
    const procs = this.#procs.splice(0).reverse();
    for (const proc of procs) if (!hasExited(proc)) proc.kill('SIGKILL');
    await Promise.all(procs.map((proc) => waitForExit(proc, 10_000).catch(() => undefined)));
    rmSync(this.dir, { recursive: true, force: true });
  }

  #track(child: ChildProcess): ChildProcess {
    this.#procs.push(child);
    child.on('error', () => undefined);
    return child;
  }
}

/** A guest's network namespace. */
export class Guest {
  constructor(
    readonly pid: number,
    private readonly dir: string,
  ) {}

  exec(argv: readonly string[], options: { timeoutMs?: number } = {}): Promise<string> {
    return execDying(['nsenter', '-t', String(this.pid), '-n', '--', ...argv], options);
  }

  /** busybox udhcpc on eth0: configures the leased address; resolves to it. */
  async dhcp(): Promise<string> {
    const script = join(this.dir, 'udhcpc.sh');
    writeFileSync(
      script,
      '#!/bin/sh\ncase "$1" in bound|renew) ip addr add "$ip/$mask" dev "$interface" && echo "bound $ip";; esac\n',
      { mode: 0o755 },
    );
    const out = await this.exec(
      ['busybox', 'udhcpc', '-i', 'eth0', '-f', '-q', '-n', '-t', '10', '-T', '1', '-s', script],
      {
        timeoutMs: 30_000,
      },
    );
    const bound = /^bound (\S+)$/m.exec(out);
    if (bound === null) throw new Error(`udhcpc got no lease: ${out}`);
    return bound[1] as string;
  }

  /** `busybox nslookup NAME SERVER` from the guest: the answer's address, or null for NXDOMAIN. */
  async lookup(name: string, server: string): Promise<string | null> {
    // nslookup exits 1 on NXDOMAIN, saying so on stdout: keep the output either way.
    const out = await this.exec(['sh', '-c', 'busybox nslookup -type=a "$0" "$1" 2>&1; true', name, server], {
      timeoutMs: 10_000,
    });
    if (/NXDOMAIN/.test(out)) return null;
    const answer = new RegExp(`Name:\\s+${name.replace(/\./g, '\\.')}\\s+Address:\\s+(\\S+)`).exec(out);
    if (answer === null) throw new Error(`nslookup ${name}: ${out}`);
    return answer[1] as string;
  }
}

export { waitFor };
