/**
 * @module A test bed for skiff's NAT network: the test image published to a mirror in TestNetwork's server
 * namespace, and skiffd in NAT mode in its client namespace (where the bridge, dnsmasq and the VMs then live).
 * Clients that talk to guests' addresses (curl, and the CLI for exec: its ssh runs on the caller's side) run
 * in that namespace too. stop() leaves nothing: QEMU and dnsmasq are detached from the daemon, so whatever a
 * failure left in the namespace is killed.
 */
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { defaultRunDir } from '../../src/daemon/compose-network.js';
import { publishImage } from './local-mirror.js';
import { TestNetwork } from './netns.js';
import { buildTestImage } from './qemu-test-vm.js';
import { SkiffDaemon, type CliResult } from './skiff-process.js';

export class NatTestBed {
  /** The data dirs of the daemons started here: each has a run dir in the machine's /run to remove. */
  private readonly dataDirs = new Set<string>();

  private constructor(
    readonly work: string,
    readonly net: TestNetwork,
  ) {}

  /** Builds (or reuses) the test image, publishes it and brings the namespaces up. */
  static async start(prefix: string): Promise<NatTestBed> {
    const image = await buildTestImage();
    const work = await mkdtemp(join(tmpdir(), prefix));
    await publishImage(join(work, 'mirror'), image);
    const net = new TestNetwork();
    const bed = new NatTestBed(work, net);
    try {
      await net.start();
      await net.startServices({ mirrorDir: join(work, 'mirror') });
      await net.up();
    } catch (error) {
      await bed.stop(undefined);
      throw error;
    }
    return bed;
  }

  /** skiffd in NAT mode inside the client namespace, on `dataDir` (default: `data` in the work dir). */
  startDaemon(dataDir = join(this.work, 'data'), args: string[] = []): Promise<SkiffDaemon> {
    this.dataDirs.add(dataDir);
    return SkiffDaemon.start({
      mirror: this.net.mirrorUrl,
      dataDir,
      networkMode: 'nat',
      args,
      spawnWith: (argv, env) => this.net.runInClient(argv, { env, stdio: ['ignore', 'pipe', 'pipe'] }),
    });
  }

  /** `skiff ARGS` run inside the namespace (exec and shell reach guests only from there). */
  cli(daemon: SkiffDaemon, args: string[], timeoutMs = 60_000): Promise<CliResult> {
    return daemon.cli(args, { timeoutMs, netnsOf: this.net.clientPid });
  }

  /** Pids of the processes (named `comm`, or all) in the client namespace, its holder excepted. */
  processes(comm?: string): number[] {
    return processesInNetns(this.net.clientPid, comm);
  }

  /** Purges every instance, stops the daemon, kills what is left in the namespace, removes the work dir. */
  async stop(daemon: SkiffDaemon | undefined): Promise<void> {
    if (daemon) {
      await daemon.cli(['delete', '--purge', '--all']).catch(() => undefined);
      await daemon.stop({ keepData: true }).catch(() => undefined);
    }
    let left: number[] = [];
    try {
      left = this.processes();
    } catch {
      // the namespaces never started
    }
    for (const pid of left) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
    await this.net.stop();
    // dnsmasq's hosts files live in /run/skiff/network-<hash of the data dir> (shared with the machine's /run):
    // `skiffd --remove-network` would remove it; a test that never ran it must.
    for (const dataDir of this.dataDirs) await rm(defaultRunDir(dataDir), { recursive: true, force: true });
    await rm(this.work, { recursive: true, force: true });
  }
}

/** Pids of the processes (named `comm`, or all) in the network namespace of `holderPid`, the holder excepted. */
function processesInNetns(holderPid: number, comm?: string): number[] {
  let namespace: string;
  try {
    namespace = readlinkSync(`/proc/${holderPid}/ns/net`);
  } catch {
    return [];
  }
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    const pid = Number(entry);
    if (!Number.isInteger(pid) || pid === holderPid || pid === process.pid) continue;
    try {
      if (readlinkSync(`/proc/${pid}/ns/net`) !== namespace) continue;
      if (comm === undefined || readFileSync(`/proc/${pid}/comm`, 'utf8').trim() === comm) pids.push(pid);
    } catch {
      // gone, or not ours to read
    }
  }
  return pids;
}
