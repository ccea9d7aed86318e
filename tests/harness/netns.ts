/**
 * @module A real "network not ready yet" for integration tests: two anonymous network namespaces joined by a
 * veth pair. The server one runs a DNS server (10.200.0.1) and an HTTP mirror (10.200.1.1:8080); the client
 * one is where the code under test runs, with a private resolv.conf bind-mounted over /etc/resolv.conf.
 * Until up(), the client has only loopback: no route (ENETUNREACH) and no nameserver (glibc then asks
 * 127.0.0.1:53, where nothing listens: EAI_AGAIN at once), so a daemon can be started before the network.
 * Namespaces live exactly as long as the processes inside them, and every process dies with this one
 * (PDEATHSIG), so nothing leaks; nothing is written to /etc or /run/netns. Needs root, iproute2, util-linux.
 */
import type { ChildProcess, SpawnOptions } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { DnsCommand } from './dns-main.js';
import type { DnsQuery } from './dns-server.js';
import type { MirrorCommand } from './mirror-main.js';
import { netnsAvailability } from './netns-availability.js';
import type { Availability } from './netns-availability.js';
import { encodeTreeJson } from './mirror-server.js';
import type { MirrorRequest, MirrorTree } from './mirror-server.js';
import {
  ServiceChannel,
  execDying,
  hasExited,
  spawnDying,
  waitForExit,
  waitForOutput,
} from './ns-process.js';
import type { ExecOptions } from './ns-process.js';

export type { Availability } from './netns-availability.js';

export interface TestNetworkOptions {
  serverIp?: string;
  clientIp?: string;
  mirrorIp?: string;
  mirrorPort?: number;
  /** Bound on each wait (holders ready, services listening, control acks); default 5000. */
  timeoutMs?: number;
}

export interface ServicesOptions {
  /** Serve this directory... */
  mirrorDir?: string;
  /** ...or this JSON tree file (see encodeTreeJson)... */
  mirrorTreeFile?: string;
  /** ...or this in-memory tree (written to a temp tree file). */
  mirrorTree?: MirrorTree;
  /** URL path the mirror serves under; default `/`. */
  mirrorBasePath?: string;
  /** Name → IPv4; default `{ 'images.test': mirrorIp }`. */
  dnsRecords?: Record<string, string>;
}

const HERE = fileURLToPath(new URL('.', import.meta.url));
const RESOLV_NOT_READY = '# skiff TestNetwork: network not configured yet (no nameserver)\n';
const RESOLV_DOWN = '# skiff TestNetwork: network down (no nameserver)\n';

/** A two-namespace test network; see the module comment. Call stop() in an `after` hook. */
export class TestNetwork {
  readonly serverIp: string;
  readonly clientIp: string;
  readonly mirrorIp: string;
  readonly mirrorPort: number;
  readonly timeoutMs: number;
  readonly #procs: ChildProcess[] = [];
  readonly #mirrorLog: MirrorRequest[] = [];
  readonly #dnsLog: DnsQuery[] = [];
  #dir: string | undefined;
  #server: ChildProcess | undefined;
  #client: ChildProcess | undefined;
  #mirror: ServiceChannel | undefined;
  #dns: ServiceChannel | undefined;
  #basePath = '/';
  #isUp = false;

  /** Checks (once, then cached) root, Linux, the tools on PATH, /etc/resolv.conf and a trial `unshare --net`. */
  static available(): Availability {
    return netnsAvailability();
  }

  /** A skip reason for node:test, or false. Under CI it is always false, so an unusable host fails the test. */
  static skipReason(env: NodeJS.ProcessEnv = process.env): string | false {
    const { ok, reason } = TestNetwork.available();
    return ok || env.CI !== undefined ? false : `network namespaces unavailable: ${reason}`;
  }

  constructor(options: TestNetworkOptions = {}) {
    this.serverIp = options.serverIp ?? '10.200.0.1';
    this.clientIp = options.clientIp ?? '10.200.0.2';
    this.mirrorIp = options.mirrorIp ?? '10.200.1.1';
    this.mirrorPort = options.mirrorPort ?? 8080;
    this.timeoutMs = options.timeoutMs ?? 5000;
  }

  /** The resolv.conf the client namespace sees as /etc/resolv.conf (rewrite it in place only). */
  get resolvConfPath(): string {
    return join(this.#need(this.#dir, 'start()'), 'resolv.conf');
  }

  /** PID of the process holding the client namespace (for `nsenter -t`). */
  get clientPid(): number {
    return this.#need(this.#client?.pid, 'start()');
  }

  /** PID of the process holding the server namespace. */
  get serverPid(): number {
    return this.#need(this.#server?.pid, 'start()');
  }

  /** The mirror by address, e.g. `http://10.200.1.1:8080/`. */
  get mirrorUrl(): string {
    return `http://${this.mirrorIp}:${this.mirrorPort}${this.#basePath}`;
  }

  /** What the namespaced mirror served so far (live copy of its `request` lines). */
  get mirrorRequests(): MirrorRequest[] {
    return [...this.#mirrorLog];
  }

  /** What the namespaced DNS server was asked so far. */
  get dnsQueries(): DnsQuery[] {
    return [...this.#dnsLog];
  }

  /** PIDs of every process this network started that is still running (for leak checks). */
  get livePids(): number[] {
    return this.#procs.filter((p) => !hasExited(p) && p.pid !== undefined).map((p) => p.pid as number);
  }

  /**
   * Creates both namespaces (client: loopback only, no route, resolver file without a nameserver) and the
   * veth pair, created directly inside them so it never exists in the host namespace. Throws on failure,
   * after cleaning up what it started.
   */
  async start(): Promise<void> {
    if (this.#dir !== undefined) throw new Error('TestNetwork: already started');
    const { ok, reason } = TestNetwork.available();
    if (!ok) throw new Error(`TestNetwork: network namespaces unavailable: ${reason}`);
    this.#dir = mkdtempSync(join(tmpdir(), 'skiff-netns-'));
    writeFileSync(this.resolvConfPath, RESOLV_NOT_READY);
    try {
      const unshare = ['unshare', '--net', '--mount', '--propagation', 'private', '--', 'sh', '-c'];
      const holder = (script: string): ChildProcess =>
        this.#track(spawnDying([...unshare, script, this.resolvConfPath]));
      const idle = 'ip link set lo up && echo ready && exec sleep infinity';
      this.#server = holder(idle);
      // The bind mount lives in the client's private mount namespace: /etc is never touched.
      this.#client = holder(`mount --bind "$0" /etc/resolv.conf && ${idle}`);
      await Promise.all([
        waitForOutput(this.#server, 'server namespace holder', this.timeoutMs),
        waitForOutput(this.#client, 'client namespace holder', this.timeoutMs),
      ]);
      // Created directly inside the two namespaces, so it never exists in the host's.
      const veth = `link add name veth0 netns ${this.clientPid} type veth peer name veth0 netns ${this.serverPid}`;
      await execDying(['ip', ...veth.split(' ')], { timeoutMs: this.timeoutMs });
      await this.#ipBatch(this.serverPid, [
        `addr add ${this.serverIp}/24 dev veth0`,
        `addr add ${this.mirrorIp}/32 dev lo`,
        'link set veth0 up',
      ]);
    } catch (error) {
      await this.stop();
      throw error;
    }
  }

  /** Starts dns-main and mirror-main in the server namespace; resolves once both listen. */
  async startServices(options: ServicesOptions = {}): Promise<void> {
    const dir = this.#need(this.#dir, 'start()');
    let source: string[];
    if (options.mirrorDir !== undefined) source = ['--dir', options.mirrorDir];
    else if (options.mirrorTreeFile !== undefined) source = ['--tree', options.mirrorTreeFile];
    else {
      writeFileSync(join(dir, 'tree.json'), encodeTreeJson(options.mirrorTree ?? {}));
      source = ['--tree', join(dir, 'tree.json')];
    }
    this.#basePath = options.mirrorBasePath ?? '/';
    const records = Object.entries(options.dnsRecords ?? { 'images.test': this.mirrorIp });
    const piped: SpawnOptions = { stdio: ['pipe', 'pipe', 'pipe'] };
    const recordArgs = records.flatMap(([name, ip]) => ['--record', `${name}=${ip}`]);
    const dnsArgs = ['--control', '--listen', this.serverIp, '--port', '53', ...recordArgs];
    const dns = this.runInServer([process.execPath, join(HERE, 'dns-main.js'), ...dnsArgs], piped);
    const listen = `${this.mirrorIp}:${this.mirrorPort}`;
    const mirrorArgs = ['--control', '--listen', listen, '--base', this.#basePath, ...source];
    const mirror = this.runInServer([process.execPath, join(HERE, 'mirror-main.js'), ...mirrorArgs], piped);
    this.#dns = new ServiceChannel('dns-main', dns, (_kind, record) => this.#dnsLog.push(record as DnsQuery));
    this.#mirror = new ServiceChannel('mirror-main', mirror, (_kind, record) =>
      this.#mirrorLog.push(record as MirrorRequest),
    );
    await Promise.all([this.#dns.ready(this.timeoutMs), this.#mirror.ready(this.timeoutMs)]);
  }

  /** Sends a command (fault, clear-faults, tree) to the namespaced mirror; resolves once applied. */
  async mirrorControl(command: MirrorCommand): Promise<void> {
    await this.#need(this.#mirror, 'startServices()').send(command, this.timeoutMs);
  }

  /** Sends a command (records, silent) to the namespaced DNS server; resolves once applied. */
  async dnsControl(command: DnsCommand): Promise<void> {
    await this.#need(this.#dns, 'startServices()').send(command, this.timeoutMs);
  }

  /**
   * Spawns a long-lived process in the client net + mount namespace (so it reads our resolv.conf), in
   * `options.cwd` or this process's cwd. Killed by stop(). Default stdio: stdin ignored, stdout/stderr piped
   * (consume them, or pass `stdio`).
   */
  runInClient(argv: readonly string[], options: SpawnOptions = {}): ChildProcess {
    const cwd = String(options.cwd ?? process.cwd());
    // nsenter -m would otherwise chdir to / of the namespace.
    return this.#track(
      spawnDying(
        ['nsenter', '-t', String(this.clientPid), '-n', '-m', `--wd=${cwd}`, '--', ...argv],
        options,
      ),
    );
  }

  /** Spawns a long-lived process in the server network namespace. Killed by stop(). */
  runInServer(argv: readonly string[], options: SpawnOptions = {}): ChildProcess {
    return this.#track(spawnDying(['nsenter', '-t', String(this.serverPid), '-n', '--', ...argv], options));
  }

  /** Runs `argv` to completion in the client namespaces; resolves to stdout, rejects on failure or timeout. */
  async execInClient(argv: readonly string[], options: ExecOptions = {}): Promise<string> {
    const wd = `--wd=${process.cwd()}`;
    return execDying(['nsenter', '-t', String(this.clientPid), '-n', '-m', wd, '--', ...argv], options);
  }

  /** Runs `argv` to completion in the server network namespace; resolves to stdout. */
  async execInServer(argv: readonly string[], options: ExecOptions = {}): Promise<string> {
    return execDying(['nsenter', '-t', String(this.serverPid), '-n', '--', ...argv], options);
  }

  /** "The network comes up": client address, link up, default route, then a resolv.conf with the nameserver. */
  async up(): Promise<void> {
    if (this.#isUp) throw new Error('TestNetwork: already up');
    await this.#ipBatch(this.clientPid, [
      `addr add ${this.clientIp}/24 dev veth0`,
      'link set veth0 up',
      `route add default via ${this.serverIp}`,
    ]);
    this.writeResolvConf(`nameserver ${this.serverIp}\noptions timeout:1 attempts:2\n`);
    this.#isUp = true;
  }

  /** "The network goes away": link down (which drops the routes), address flushed, nameserver removed. */
  async down(): Promise<void> {
    await this.#ipBatch(this.clientPid, ['link set veth0 down', 'addr flush dev veth0']);
    this.writeResolvConf(RESOLV_DOWN);
    this.#isUp = false;
  }

  /**
   * Rewrites the client's resolv.conf IN PLACE (same inode): the bind mount pins the inode, so a rename would
   * never be seen inside the namespace. glibc notices the change on its next lookup; inotify watchers fire.
   */
  writeResolvConf(text: string): void {
    writeFileSync(this.resolvConfPath, text);
  }

  /** SIGKILLs every process started here (the namespaces and veth pair vanish with them); idempotent. */
  async stop(): Promise<void> {
    const procs = this.#procs.splice(0).reverse();
    for (const proc of procs) if (!hasExited(proc)) proc.kill('SIGKILL');
    await Promise.all(procs.map((proc) => waitForExit(proc, this.timeoutMs)));
    if (this.#dir !== undefined) rmSync(this.#dir, { recursive: true, force: true });
    this.#dir = this.#server = this.#client = this.#mirror = this.#dns = undefined;
    this.#isUp = false;
  }

  #track(child: ChildProcess): ChildProcess {
    this.#procs.push(child);
    // A failed spawn must surface as a rejected wait, not an unhandled 'error' event.
    child.on('error', () => undefined);
    return child;
  }

  async #ipBatch(pid: number, commands: string[]): Promise<void> {
    // One process for several changes keeps bring-up fast and close to what a DHCP client does at once.
    const input = `${commands.join('\n')}\n`;
    await execDying(['nsenter', '-t', String(pid), '-n', '--', 'ip', '-batch', '-'], {
      input,
      timeoutMs: this.timeoutMs,
    });
  }

  #need<T>(value: T | undefined, what: string): T {
    if (value === undefined) throw new Error(`TestNetwork: call ${what} first`);
    return value;
  }
}
