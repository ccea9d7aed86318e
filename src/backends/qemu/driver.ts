/**
 * @module The `qemu` VM driver: one directory per instance under `root` (VM_FILES), QEMU detached with a
 * loopback SSH forward (user-mode networking), the cloud-init data as a NoCloud ISO, suspend as an internal
 * qcow2 snapshot, instance snapshots as other internal snapshots (snapshots.ts). Accelerator detection (KVM where usable, else TCG) lives here, done once and lazily.
 */
import { mkdir, readFile, rename, rm, writeFile, type FileHandle } from 'node:fs/promises';
import { isIP } from 'node:net';
import { join } from 'node:path';
import { SkiffError } from '../../core/errors.js';
import { freeLoopbackPort } from '../host/free-port.js';
import { writeSeedIso } from '../iso/seed-iso.js';
import { readSeedIso } from '../iso/seed-read.js';
import type {
  CloudInitData,
  DriverFeatures,
  GuestEndpoint,
  NicSpec,
  StartSpec,
  VmDriver,
  VmInstance,
  VmPower,
} from '../../services/instances/ports.js';
import { QemuBackend } from './backend.js';
import { cloneDisk } from './clone-disk.js';
import { assertBridge, deleteLinksNamed, hostNicName, openMacvtap } from './host-nics.js';
import { qemuHostForwarder } from './hostfwd.js';
import { VM_FILES, type Accelerator, type MachineLayout, type QemuNic } from './machine.js';
import { bootShares, qemuMounter, type QemuMounterOptions } from './mounter.js';
import { qemuSnapshotter } from './snapshots.js';
import { VIRTIOFSD_CANDIDATES, findVirtiofsd, stopAllVirtiofsd } from './virtiofsd.js';

/** `HOST PORT` where the running VM's SSH answers, kept beside it so a restarted daemon finds it again. */
const SSH_ENDPOINT_FILE = 'ssh-endpoint';
/** The same, for VMs started before bridged NICs: only the loopback port. */
const LEGACY_SSH_PORT_FILE = 'ssh-port';
/** Names the service hands out; checked again here because a name becomes a path. */
const NAME = /^[A-Za-z][A-Za-z0-9-]{0,62}$/;
const GRACEFUL_STOP_MS = 120_000;

export interface QemuDriverOptions {
  /** Directory holding one directory per instance. */
  root: string;
  backend?: QemuBackend;
  /** A free loopback port for a VM's SSH forward. */
  allocatePort?: () => Promise<number>;
  /** Told once which accelerator VMs will use and why (detected on the first start, not at construction). */
  onAccelerator?: (choice: { accel: Accelerator; reason: string }) => void;
  /**
   * The virtiofsd for shares (a name on PATH or a path). Default: `virtiofsd` on PATH, else Debian's
   * /usr/lib/qemu/virtiofsd. When it is not there, shares use 9p (from a boot only).
   */
  virtiofsd?: string;
}

export class QemuDriver implements VmDriver {
  readonly name = 'qemu';
  readonly features: Readonly<DriverFeatures> = {
    suspend: true,
    resize: true,
    snapshots: true,
    mounts: true,
    extraNics: true,
    forward: true,
    clone: true,
    reseed: true,
  };
  private readonly backend: QemuBackend;
  private readonly allocatePort: () => Promise<number>;
  private accel: Promise<{ accel: Accelerator; reason: string }> | null = null;
  private virtiofsd: Promise<string | null> | null = null;

  constructor(private readonly options: QemuDriverOptions) {
    this.backend = options.backend ?? new QemuBackend();
    this.allocatePort = options.allocatePort ?? freeLoopbackPort;
  }

  async describe(): Promise<string> {
    return `qemu: ${(await this.accelerator()).reason}`;
  }

  instance(name: string): VmInstance {
    if (!NAME.test(name)) throw new SkiffError('internal', `qemu driver: "${name}" is not an instance name`);
    return new QemuInstance(name, join(this.options.root, name), this.backend, {
      accel: async () => (await this.accelerator()).accel,
      allocatePort: this.allocatePort,
      virtiofsd: () => this.findVirtiofsd(),
      dirOf: (other) => join(this.options.root, other),
    });
  }

  /** Looked up once: installing virtiofsd later takes a daemon restart, like installing QEMU. */
  private findVirtiofsd(): Promise<string | null> {
    this.virtiofsd ??= findVirtiofsd(
      this.options.virtiofsd === undefined ? VIRTIOFSD_CANDIDATES : [this.options.virtiofsd],
    );
    return this.virtiofsd;
  }

  /** Detected once, on first use: the first launch pays for the probe, not the daemon's start-up. */
  private accelerator(): Promise<{ accel: Accelerator; reason: string }> {
    this.accel ??= this.backend.detectAccelerator().then((choice) => {
      this.options.onAccelerator?.(choice);
      return choice;
    });
    return this.accel;
  }
}

class QemuInstance implements VmInstance {
  readonly suspender;
  readonly resizer;
  readonly hostForwarder;
  readonly mounter;
  readonly cloner;
  readonly seed;
  readonly snapshotter;
  private readonly shares: QemuMounterOptions;

  constructor(
    readonly name: string,
    private readonly dir: string,
    private readonly backend: QemuBackend,
    private readonly host: {
      accel: () => Promise<Accelerator>;
      allocatePort: () => Promise<number>;
      virtiofsd: () => Promise<string | null>;
      /** The directory of another instance (a clone's). */
      dirOf: (name: string) => string;
    },
  ) {
    this.suspender = {
      suspend: () => backend.suspend(dir),
      hasState: () => backend.hasSuspendState(dir),
      settle: () => backend.settleSuspend(dir),
      discard: () => backend.discardSuspendState(dir),
    };
    this.resizer = { grow: (diskBytes: number) => backend.resizeDisk({ dir, diskBytes }) };
    this.hostForwarder = qemuHostForwarder(dir);
    this.shares = { dir, virtiofsd: host.virtiofsd };
    this.mounter = qemuMounter(this.shares);
    this.cloner = { cloneTo: (target: string, cloudInit: CloudInitData) => this.cloneTo(target, cloudInit) };
    this.seed = {
      read: () => readSeedIso(dir),
      write: async (data: CloudInitData) => void (await writeSeedIso({ dir, files: data })),
    };
    this.snapshotter = qemuSnapshotter(dir, backend);
  }

  /** See Cloner: a new directory for `target` with a flattened copy of the disk and its own seed. */
  private async cloneTo(target: string, cloudInit: CloudInitData): Promise<void> {
    if (!NAME.test(target))
      throw new SkiffError('internal', `qemu driver: "${target}" is not an instance name`);
    if ((await this.backend.pid(this.dir)) !== null || (await this.backend.hasSuspendState(this.dir)))
      throw new SkiffError('conflict', `cannot copy ${this.name}: its VM is running or suspended`);
    const targetDir = this.host.dirOf(target);
    // Not recursive: an existing directory is another instance's, never overwritten.
    await mkdir(targetDir, { mode: 0o700 }).catch((error: NodeJS.ErrnoException) => {
      throw error.code === 'EEXIST'
        ? new SkiffError('conflict', `qemu driver: ${targetDir} already exists`, { cause: error })
        : error;
    });
    try {
      await cloneDisk({ fromDir: this.dir, toDir: targetDir });
      await writeSeedIso({ dir: targetDir, files: cloudInit });
    } catch (error) {
      await rm(targetDir, { recursive: true, force: true });
      throw error;
    }
  }

  async create(spec: { baseImage: string; diskBytes: number; cloudInit: CloudInitData }): Promise<void> {
    await mkdir(this.dir, { recursive: true, mode: 0o700 });
    try {
      await this.backend.createDisk({ dir: this.dir, baseImage: spec.baseImage, diskBytes: spec.diskBytes });
      await writeSeedIso({ dir: this.dir, files: spec.cloudInit });
    } catch (error) {
      await rm(this.dir, { recursive: true, force: true });
      throw error;
    }
  }

  async start(spec: StartSpec, signal?: AbortSignal): Promise<GuestEndpoint> {
    const opened: FileHandle[] = [];
    try {
      const nics: QemuNic[] = [];
      for (const [index, nic] of spec.nics.entries()) nics.push(await this.hostNic(nic, index, opened));
      const endpoint = endpointOf(this.name, nics[0], spec.sshAddress);
      const file = join(this.dir, SSH_ENDPOINT_FILE);
      await writeFile(`${file}.tmp`, `${endpoint.host} ${endpoint.port}\n`);
      await rename(`${file}.tmp`, file);
      // A running VM's virtiofsds are its own: the backend refuses a second QEMU below.
      if ((await this.backend.pid(this.dir)) === null) await stopAllVirtiofsd(this.dir);
      // On the command line rather than hot-plugged after spawn: 9p can only be there, and the guest finds
      // every share as it boots (no early-boot hotplug to race).
      const shares = await bootShares(this.shares, spec.mounts ?? []);
      // A snapshot's memory, like a suspend's, loads only into the devices it was saved from.
      const layout = await this.layoutFor(
        (spec.resume ?? false) || spec.loadSnapshot !== undefined,
        shares.length,
      );
      await this.backend.start(
        {
          name: this.name,
          dir: this.dir,
          cpus: spec.cpus,
          memoryBytes: spec.memoryBytes,
          nics,
          accel: await this.host.accel(),
          resumeFromSuspend: spec.resume ?? false,
          ...(spec.loadSnapshot !== undefined && { loadSnapshot: spec.loadSnapshot }),
          shares,
          layout,
        },
        signal,
      );
      return endpoint;
    } catch (error) {
      await this.removeMacvtaps();
      if ((await this.backend.pid(this.dir)) === null) await stopAllVirtiofsd(this.dir);
      throw error;
    } finally {
      // QEMU holds its own copies of the macvtap descriptors now (or never will).
      await Promise.all(opened.map((handle) => handle.close()));
    }
  }

  /**
   * A resume must rebuild the devices its state was saved from: a state saved before shares existed (no layout
   * file) resumes into the legacy layout. Every fresh boot uses, and records, the layout with shares.
   */
  private async layoutFor(resume: boolean, shares: number): Promise<MachineLayout> {
    const file = join(this.dir, VM_FILES.layout);
    if (resume) {
      const recorded = (await readFile(file, 'utf8').catch(() => '')).trim();
      if (recorded !== 'shares') {
        if (shares > 0)
          throw new SkiffError(
            'unsupported',
            `${this.name} was suspended by an older skiff: resume it without mounts, then stop it, before adding any`,
          );
        return 'legacy';
      }
      return 'shares';
    }
    await writeFile(`${file}.tmp`, 'shares\n');
    await rename(`${file}.tmp`, file);
    return 'shares';
  }

  /** The QEMU side of one NIC, making what the host needs first (a macvtap device, checks). */
  private async hostNic(nic: NicSpec, index: number, opened: FileHandle[]): Promise<QemuNic> {
    const { mac, attach } = nic;
    switch (attach.kind) {
      case 'user':
        return { kind: 'user', mac, sshPort: await this.host.allocatePort() };
      case 'bridge':
        await assertBridge(attach.bridge);
        return { kind: 'tap', mac, ifname: hostNicName(this.name, index, 'tap'), bridge: attach.bridge };
      case 'macvtap': {
        const handle = await openMacvtap(hostNicName(this.name, index, 'macvtap'), attach.parent, mac);
        opened.push(handle);
        return { kind: 'macvtap', mac, hostFd: handle.fd };
      }
      default: {
        const never: never = attach;
        throw new SkiffError('invalid-argument', `unknown NIC attachment ${JSON.stringify(never)}`);
      }
    }
  }

  /** macvtap devices outlive QEMU (taps QEMU made die with it). Never throws. */
  private async removeMacvtaps(): Promise<void> {
    await deleteLinksNamed(hostNicName(this.name, 0, 'macvtap').slice(0, -1)).catch(() => undefined);
  }

  async stop(options: { force?: boolean; timeoutMs?: number }): Promise<void> {
    if (options.force) await this.backend.kill(this.dir);
    else if ((await this.backend.power(this.dir)) !== 'stopped')
      await this.backend.powerdown(this.dir, options.timeoutMs ?? GRACEFUL_STOP_MS);
    await this.removeMacvtaps();
    await stopAllVirtiofsd(this.dir);
  }

  power(): Promise<VmPower> {
    return this.backend.power(this.dir);
  }

  async endpoint(): Promise<GuestEndpoint | null> {
    if ((await this.backend.pid(this.dir)) === null) return null;
    const read = (file: string) => readFile(join(this.dir, file), 'utf8').catch(() => '');
    // `HOST PORT`; VMs started before bridges kept only the loopback port, in `ssh-port`.
    const [host, port] = ((await read(SSH_ENDPOINT_FILE)) || `127.0.0.1 ${await read(LEGACY_SSH_PORT_FILE)}`)
      .trim()
      .split(/\s+/);
    const number = Number(port);
    return host && Number.isInteger(number) && number > 0 && number < 65536 ? { host, port: number } : null;
  }

  pid(): Promise<number | null> {
    return this.backend.pid(this.dir);
  }

  async disk(): Promise<{ virtualBytes: number; actualBytes: number }> {
    const { virtualBytes, actualBytes } = await this.backend.diskInfo(this.dir);
    return { virtualBytes, actualBytes };
  }

  reset(): Promise<void> {
    return this.backend.reset(this.dir);
  }

  async destroy(): Promise<void> {
    await this.backend.kill(this.dir);
    await this.removeMacvtaps();
    await stopAllVirtiofsd(this.dir);
    await rm(this.dir, { recursive: true, force: true });
  }
}

/** Where SSH answers: the loopback forward of a user-mode primary NIC, else port 22 at the reserved address. */
function endpointOf(
  name: string,
  primary: QemuNic | undefined,
  sshAddress: string | undefined,
): GuestEndpoint {
  if (primary === undefined) throw new SkiffError('invalid-argument', `${name}: a VM needs at least one NIC`);
  if (primary.kind === 'user') return { host: '127.0.0.1', port: primary.sshPort };
  if (sshAddress === undefined || isIP(sshAddress) === 0)
    throw new SkiffError(
      'invalid-argument',
      `${name}: a bridged primary NIC needs the guest's address for SSH`,
    );
  return { host: sshAddress, port: 22 };
}
