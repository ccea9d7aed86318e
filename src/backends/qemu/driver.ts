/**
 * @module The `qemu` VM driver: one directory per instance under `root` (VM_FILES), QEMU detached with a
 * loopback SSH forward (user-mode networking), the cloud-init data as a NoCloud ISO, suspend as an internal
 * qcow2 snapshot. Accelerator detection (KVM where usable, else TCG) lives here, done once and lazily.
 */
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { SkiffError } from '../../core/errors.js';
import { freeLoopbackPort } from '../host/free-port.js';
import { writeSeedIso } from '../iso/seed-iso.js';
import type {
  CloudInitData,
  DriverFeatures,
  GuestEndpoint,
  StartSpec,
  VmDriver,
  VmInstance,
  VmPower,
} from '../../services/instances/ports.js';
import { QemuBackend } from './backend.js';
import type { Accelerator } from './machine.js';

/** The forwarded SSH port of the running VM, kept beside it so a restarted daemon finds it again. */
const SSH_PORT_FILE = 'ssh-port';
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
}

export class QemuDriver implements VmDriver {
  readonly name = 'qemu';
  readonly features: Readonly<DriverFeatures> = {
    suspend: true,
    resize: true,
    snapshots: false,
    mounts: false,
    extraNics: false,
  };
  private readonly backend: QemuBackend;
  private readonly allocatePort: () => Promise<number>;
  private accel: Promise<{ accel: Accelerator; reason: string }> | null = null;

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
    });
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

  constructor(
    readonly name: string,
    private readonly dir: string,
    private readonly backend: QemuBackend,
    private readonly host: { accel: () => Promise<Accelerator>; allocatePort: () => Promise<number> },
  ) {
    this.suspender = {
      suspend: () => backend.suspend(dir),
      hasState: () => backend.hasSuspendState(dir),
      settle: () => backend.settleSuspend(dir),
      discard: () => backend.discardSuspendState(dir),
    };
    this.resizer = { grow: (diskBytes: number) => backend.resizeDisk({ dir, diskBytes }) };
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
    const port = await this.host.allocatePort();
    const portFile = join(this.dir, SSH_PORT_FILE);
    await writeFile(`${portFile}.tmp`, `${port}\n`);
    await rename(`${portFile}.tmp`, portFile);
    await this.backend.start(
      {
        name: this.name,
        dir: this.dir,
        cpus: spec.cpus,
        memoryBytes: spec.memoryBytes,
        sshPort: port,
        mac: userModeMac(this.name, spec),
        accel: await this.host.accel(),
        resumeFromSuspend: spec.resume ?? false,
      },
      signal,
    );
    return { host: '127.0.0.1', port };
  }

  async stop(options: { force?: boolean; timeoutMs?: number }): Promise<void> {
    if (options.force) return this.backend.kill(this.dir);
    if ((await this.backend.power(this.dir)) !== 'stopped')
      await this.backend.powerdown(this.dir, options.timeoutMs ?? GRACEFUL_STOP_MS);
  }

  power(): Promise<VmPower> {
    return this.backend.power(this.dir);
  }

  async endpoint(): Promise<GuestEndpoint | null> {
    if ((await this.backend.pid(this.dir)) === null) return null;
    const port = Number((await readFile(join(this.dir, SSH_PORT_FILE), 'utf8').catch(() => '')).trim());
    return Number.isInteger(port) && port > 0 ? { host: '127.0.0.1', port } : null;
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
    await rm(this.dir, { recursive: true, force: true });
  }
}

/** The MAC of the one user-mode NIC this driver runs today. @throws unsupported for anything else */
function userModeMac(name: string, spec: StartSpec): string {
  const [primary, ...extra] = spec.nics;
  if (primary === undefined || primary.attach.kind !== 'user' || extra.length > 0)
    throw new SkiffError('unsupported', `qemu driver: ${name}: only one user-mode NIC is supported yet`);
  return primary.mac;
}
