/**
 * @module In-memory VM driver, guest shell and image store for unit tests of the instances service. Each keeps a
 * log of calls and can be told to fail or to block. FakeDriver passes the same contract suite as the QEMU
 * driver (vm-driver-contract.ts), so it cannot drift from it. Its one real resource: a forwarded host port is
 * really bound on the host (and nothing answers behind it), so "taken" means what it means for QEMU.
 */
import { createSocket } from 'node:dgram';
import { createServer } from 'node:net';
import { SkiffError } from '../core/errors.js';
import type { ImageInfo } from '../services/catalog/types.js';
import type {
  AcquiredImage,
  Cloner,
  CloudInitData,
  DriverFeatures,
  GuestEndpoint,
  GuestShell,
  HostForwarder,
  HostForwardRule,
  ImageResolver,
  MountShare,
  MountTransport,
  Mounter,
  ImageSource,
  ImageStore,
  Resizer,
  SeedStore,
  Snapshotter,
  SshTarget,
  StartSpec,
  Suspender,
  VmDriver,
  VmInstance,
  VmPower,
} from '../services/instances/ports.js';

interface FakeVm {
  power: 'running' | 'paused' | 'stopped';
  saved: boolean;
  pid: number;
  port: number;
  diskBytes: number;
  baseImage: string;
  cloudInit: CloudInitData;
  start: StartSpec | null;
  /** Forwarded host ports (`protocol:address:port`), bound while the VM runs. */
  forwards: Map<string, { rule: HostForwardRule; close(): Promise<void> }>;
  /** The shares the VM has now, by tag (from its boot or attached), gone with the VM process. */
  shares: Map<string, { share: MountShare; transport: MountTransport }>;
  /** Stands for what the disk holds: tests write it, snapshots keep it, a revert brings it back. */
  content: string;
  /** Snapshots by id: the disk then, and whether memory was saved. */
  snapshots: Map<string, { memory: boolean; diskBytes: number; content: string }>;
}

export class FakeDriver implements VmDriver {
  readonly name = 'fake';
  readonly vms = new Map<string, FakeVm>();
  readonly calls: string[] = [];
  failStart: Error | null = null;
  /** When set, start() waits for this promise (to hold an operation in flight). */
  startGate: Promise<void> | null = null;
  /** When set, settling an interrupted suspend fails with it. */
  failSettle: Error | null = null;
  /** When set, cloning fails with it (nothing of the target is left, as the contract says). */
  failClone: Error | null = null;
  /** How many times any instance's power() was asked. */
  powerProbes = 0;
  /** Whether virtiofs is available (a virtiofsd on the host); without it shares are 9p, from a boot only. */
  virtiofs = true;
  /** Whether id maps other than the identity can be honoured (QEMU 7.2's virtiofsd and 9p cannot). */
  translatesIds = false;
  /** Tags whose host side died (a killed virtiofsd): `serving` says false until attached again. */
  readonly deadShares = new Set<string>();
  private nextPid = 1000;
  private nextPort = 40000;

  constructor(
    readonly features: DriverFeatures = {
      suspend: true,
      resize: true,
      snapshots: true,
      mounts: true,
      extraNics: false,
      forward: true,
      clone: true,
      reseed: true,
    },
  ) {}

  async describe() {
    return 'fake: in memory';
  }

  instance(name: string): VmInstance {
    return new FakeInstance(this, name);
  }

  /** The VM of `name`. @throws when it was never created */
  vm(name: string): FakeVm {
    const vm = this.vms.get(name);
    if (!vm) throw new SkiffError('internal', `fake: no VM named ${name}`);
    return vm;
  }

  /** A daemon that died during suspend: the VM left paused, saved or not, or gone after saving (`exited`). */
  interruptSuspend(name: string, at: 'before-save' | 'after-save' | 'exited') {
    const vm = this.vm(name);
    vm.power = at === 'exited' ? 'stopped' : 'paused';
    vm.saved = at !== 'before-save';
  }

  /** A daemon that died while resuming, after the state was restored and before it was dropped. */
  interruptResume(name: string) {
    const vm = this.vm(name);
    Object.assign(vm, { power: 'running', saved: true });
  }

  /** The guest powering itself off. */
  crash(name: string) {
    this.vm(name).power = 'stopped';
    this.vm(name).shares.clear();
    void this.dropForwards(name);
  }

  /** The VM process ended: its forwards end with it. */
  async dropForwards(name: string): Promise<void> {
    const vm = this.vms.get(name);
    if (!vm) return;
    vm.shares.clear(); // the shares end with the VM process too
    const open = [...vm.forwards.values()];
    vm.forwards.clear();
    await Promise.all(open.map((f) => f.close()));
  }

  start(name: string, spec: StartSpec): GuestEndpoint {
    const vm = this.vm(name);
    if (vm.power !== 'stopped') throw new SkiffError('conflict', `fake: ${name} is already running`);
    if (spec.resume && !vm.saved) throw new SkiffError('conflict', `fake: ${name} has no state to resume`);
    if (spec.loadSnapshot !== undefined) {
      const snapshot = vm.snapshots.get(spec.loadSnapshot);
      if (!snapshot?.memory)
        throw new SkiffError('conflict', `fake: ${name} has no memory snapshot ${spec.loadSnapshot}`);
      Object.assign(vm, { content: snapshot.content, diskBytes: snapshot.diskBytes });
    }
    Object.assign(vm, {
      power: 'running',
      start: spec,
      saved: false,
      pid: this.nextPid++,
      port: this.nextPort++,
    });
    const transport: MountTransport = this.virtiofs ? 'virtiofs' : '9p';
    vm.shares = new Map((spec.mounts ?? []).map((share) => [share.tag, { share, transport }]));
    const primary = spec.nics[0];
    if (primary === undefined) throw new SkiffError('invalid-argument', `fake: ${name} has no NIC`);
    if (primary.attach.kind === 'user') return { host: '127.0.0.1', port: vm.port };
    if (spec.sshAddress === undefined)
      throw new SkiffError('invalid-argument', `fake: ${name}: a bridged NIC needs sshAddress`);
    return { host: spec.sshAddress, port: 22 };
  }
}

class FakeInstance implements VmInstance {
  readonly suspender?: Suspender;
  readonly resizer?: Resizer;
  readonly hostForwarder?: HostForwarder;
  readonly mounter?: Mounter;
  readonly cloner?: Cloner;
  readonly seed?: SeedStore;
  readonly snapshotter?: Snapshotter;

  constructor(
    private readonly driver: FakeDriver,
    readonly name: string,
  ) {
    if (driver.features.forward) this.hostForwarder = fakeHostForwarder(driver, name);
    if (driver.features.mounts) this.mounter = fakeMounter(driver, name);
    if (driver.features.snapshots) this.snapshotter = fakeSnapshotter(driver, name);
    if (driver.features.suspend)
      this.suspender = {
        suspend: async () => {
          driver.calls.push(`suspend ${name}`);
          const vm = driver.vm(name);
          if (vm.power === 'stopped') throw new SkiffError('conflict', `fake: ${name} is not running`);
          Object.assign(vm, { power: 'stopped', saved: true });
          await driver.dropForwards(name);
        },
        hasState: async () => driver.vms.get(name)?.saved ?? false,
        discard: async () => {
          driver.calls.push(`discardSuspend ${name}`);
          driver.vm(name).saved = false;
        },
        settle: async () => {
          driver.calls.push(`settleSuspend ${name}`);
          if (driver.failSettle) throw driver.failSettle;
          const vm = driver.vm(name);
          if (vm.power === 'stopped') return vm.saved ? 'suspended' : 'stopped';
          if (vm.power === 'paused' && vm.saved) {
            vm.power = 'stopped';
            return 'suspended';
          }
          vm.power = 'running';
          return 'running';
        },
      };
    if (driver.features.clone) this.cloner = fakeCloner(driver, name);
    if (driver.features.reseed)
      this.seed = {
        read: async () => structuredClone(driver.vm(name).cloudInit),
        write: async (data) => {
          driver.calls.push(`reseed ${name}`);
          driver.vm(name).cloudInit = structuredClone(data);
        },
      };
    if (driver.features.resize)
      this.resizer = {
        grow: async (diskBytes: number) => {
          const vm = driver.vm(name);
          if (vm.power !== 'stopped' || vm.saved)
            throw new SkiffError('conflict', `fake: cannot resize ${name} while it runs or is suspended`);
          if (diskBytes < vm.diskBytes) throw new SkiffError('invalid-argument', 'fake: disks never shrink');
          vm.diskBytes = diskBytes;
        },
      };
  }

  async create(spec: { baseImage: string; diskBytes: number; cloudInit: CloudInitData }) {
    this.driver.calls.push(`create ${this.name}`);
    if (this.driver.vms.has(this.name)) throw new SkiffError('conflict', `fake: ${this.name} exists`);
    this.driver.vms.set(this.name, {
      power: 'stopped',
      saved: false,
      pid: 0,
      port: 0,
      diskBytes: spec.diskBytes,
      baseImage: spec.baseImage,
      cloudInit: spec.cloudInit,
      start: null,
      forwards: new Map(),
      shares: new Map(),
      content: '',
      snapshots: new Map(),
    });
  }

  async start(spec: StartSpec): Promise<GuestEndpoint> {
    this.driver.calls.push(
      `start ${this.name}${spec.resume ? ' resume' : ''}${spec.loadSnapshot ? ` load ${spec.loadSnapshot}` : ''}`,
    );
    if (this.driver.startGate) await this.driver.startGate;
    if (this.driver.failStart) throw this.driver.failStart;
    return this.driver.start(this.name, spec);
  }

  async stop(options: { force?: boolean; timeoutMs?: number }) {
    this.driver.calls.push(`${options.force ? 'kill' : 'powerdown'} ${this.name}`);
    const vm = this.driver.vms.get(this.name);
    if (vm && vm.power !== 'stopped') vm.power = 'stopped';
    await this.driver.dropForwards(this.name);
  }

  async power(): Promise<VmPower> {
    this.driver.powerProbes++;
    const vm = this.driver.vms.get(this.name);
    if (!vm) return 'stopped';
    return vm.power === 'stopped' && vm.saved ? 'suspended' : vm.power;
  }

  async endpoint(): Promise<GuestEndpoint | null> {
    const vm = this.driver.vms.get(this.name);
    return vm && vm.power !== 'stopped' ? { host: '127.0.0.1', port: vm.port } : null;
  }

  async pid() {
    const vm = this.driver.vms.get(this.name);
    return vm && vm.power !== 'stopped' ? vm.pid : null;
  }

  async disk() {
    return { virtualBytes: this.driver.vm(this.name).diskBytes, actualBytes: 2 ** 20 };
  }

  async reset() {
    if (this.driver.vm(this.name).power === 'stopped')
      throw new SkiffError('conflict', `fake: ${this.name} is not running`);
  }

  async destroy() {
    this.driver.calls.push(`destroy ${this.name}`);
    await this.driver.dropForwards(this.name);
    this.driver.vms.delete(this.name);
  }
}

/** Copies the source's disk (size and base) into a new VM; `failClone` makes it fail after the copy began. */
function fakeCloner(driver: FakeDriver, name: string): Cloner {
  return {
    cloneTo: async (target, cloudInit) => {
      driver.calls.push(`clone ${name} ${target}`);
      const source = driver.vm(name);
      if (source.power !== 'stopped' || source.saved)
        throw new SkiffError('conflict', `fake: cannot copy ${name} while it runs or is suspended`);
      if (driver.vms.has(target)) throw new SkiffError('conflict', `fake: ${target} exists`);
      if (driver.failClone) throw driver.failClone;
      driver.vms.set(target, {
        ...structuredClone({ ...source, forwards: undefined, shares: undefined }),
        power: 'stopped',
        saved: false,
        start: null,
        cloudInit: structuredClone(cloudInit),
        forwards: new Map(),
        shares: new Map(),
        snapshots: new Map(), // a copy of the disk as it is now, without its snapshots
      });
    },
  };
}

/** Mirrors the QEMU driver's Snapshotter: disk only when stopped, disk and memory when running. */
function fakeSnapshotter(driver: FakeDriver, name: string): Snapshotter {
  return {
    async take(id) {
      driver.calls.push(`snapshot ${name} ${id}`);
      const vm = driver.vm(name);
      if (vm.snapshots.has(id)) throw new SkiffError('conflict', `fake: snapshot ${id} exists`);
      if (vm.power === 'stopped' && vm.saved) throw new SkiffError('conflict', `fake: ${name} is suspended`);
      if (vm.power !== 'stopped' && vm.shares.size > 0)
        throw new SkiffError('conflict', 'fake: a VM with shares cannot be saved');
      const memory = vm.power !== 'stopped';
      vm.snapshots.set(id, { memory, diskBytes: vm.diskBytes, content: vm.content });
      return { memory };
    },
    async revert(id) {
      driver.calls.push(`revert ${name} ${id}`);
      const vm = driver.vm(name);
      if (vm.power !== 'stopped') throw new SkiffError('conflict', `fake: ${name} runs`);
      const snapshot = vm.snapshots.get(id);
      if (!snapshot) throw new SkiffError('internal', `fake: no snapshot ${id}`);
      Object.assign(vm, { content: snapshot.content, diskBytes: snapshot.diskBytes });
    },
    async remove(id) {
      driver.calls.push(`unsnapshot ${name} ${id}`);
      driver.vms.get(name)?.snapshots.delete(id);
    },
    async list() {
      const vm = driver.vms.get(name);
      return [...(vm?.snapshots ?? new Map())].map(([id, s]) => ({ id, memory: s.memory }));
    },
  };
}

/** Binds each rule's host side for real, as QEMU's slirp would; a taken port is a conflict. */
function fakeHostForwarder(driver: FakeDriver, name: string): HostForwarder {
  const key = (r: Omit<HostForwardRule, 'guestPort'>) => `${r.protocol}:${r.hostAddress}:${r.hostPort}`;
  return {
    async add(rule) {
      driver.calls.push(`forward ${name} ${key(rule)}->${rule.guestPort}`);
      const vm = driver.vms.get(name);
      if (!vm || vm.power === 'stopped') throw new SkiffError('conflict', `fake: ${name} is not running`);
      await vm.forwards.get(key(rule))?.close();
      vm.forwards.delete(key(rule));
      const close = await bind(rule).catch((error: NodeJS.ErrnoException) => {
        throw new SkiffError(
          'conflict',
          `fake: cannot listen on ${key(rule)}: ${error.code ?? error.message}`,
        );
      });
      vm.forwards.set(key(rule), { rule, close });
    },
    async remove(host) {
      driver.calls.push(`unforward ${name} ${key(host)}`);
      const vm = driver.vms.get(name);
      await vm?.forwards.get(key(host))?.close();
      vm?.forwards.delete(key(host));
    },
  };
}

/** Mirrors the QEMU driver's Mounter: virtiofs hot-plugs into a running VM; 9p only from a boot. */
function fakeMounter(driver: FakeDriver, name: string): Mounter {
  const check = (share: MountShare) => {
    if (!/^[a-z0-9][a-z0-9-]{0,30}$/.test(share.tag))
      throw new SkiffError('invalid-argument', `fake: share tag: not a tag: ${JSON.stringify(share.tag)}`);
    if (!share.source.startsWith('/'))
      throw new SkiffError('invalid-argument', `fake: share ${share.tag}: source must be absolute`);
    const moved = [...share.uidMap, ...share.gidMap].some((entry) => entry.host !== entry.guest);
    if (moved && !driver.translatesIds)
      throw new SkiffError('unsupported', `fake: share ${share.tag}: ids cannot be mapped`);
  };
  return {
    async transports(shares) {
      shares.forEach(check);
      return shares.map(() => (driver.virtiofs ? 'virtiofs' : '9p'));
    },
    async attach(share) {
      driver.calls.push(`attach ${name} ${share.tag}`);
      check(share);
      const vm = driver.vms.get(name);
      if (!vm || vm.power === 'stopped') throw new SkiffError('conflict', `fake: ${name} is not running`);
      if (!driver.virtiofs)
        throw new SkiffError(
          'unsupported',
          `fake: share ${share.tag}: a 9p share can only be added at boot: restart the instance`,
        );
      const present = vm.shares.get(share.tag);
      if (present && present.share.source !== share.source)
        throw new SkiffError('conflict', `fake: share ${share.tag} is attached already`);
      vm.shares.set(share.tag, { share, transport: 'virtiofs' });
      driver.deadShares.delete(share.tag);
      return 'virtiofs';
    },
    async detach(tag) {
      driver.calls.push(`detach ${name} ${tag}`);
      driver.vms.get(name)?.shares.delete(tag);
      driver.deadShares.delete(tag);
    },
    async serving(tag) {
      return !driver.deadShares.has(tag);
    },
  };
}

/** Listens on the host side of `rule`. @returns how to stop */
async function bind(rule: HostForwardRule): Promise<() => Promise<void>> {
  if (rule.protocol === 'udp') {
    const socket = createSocket('udp4');
    await new Promise<void>((resolve, reject) => {
      socket.once('error', reject);
      socket.bind({ address: rule.hostAddress, port: rule.hostPort, exclusive: true }, resolve);
    });
    return () => new Promise((resolve) => socket.close(() => resolve()));
  }
  const server = createServer((connection) => connection.destroy());
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen({ host: rule.hostAddress, port: rule.hostPort, exclusive: true }, resolve);
  });
  return () => new Promise((resolve) => server.close(() => resolve()));
}

export class FakeGuestShell implements GuestShell {
  readonly commands: string[] = [];
  output =
    'PRETTY_NAME="Fake OS 1.0"\n@@\n0.10 0.20 0.30 1/100 42\n@@\n/dev/vda2 5000000000 1000000000 4000000000 20% /\n@@\nMemTotal: 1000000 kB\nMemFree: 500000 kB\nMemAvailable: 600000 kB\n@@\n10.0.2.15 \n';
  /** What `cloud-init status --format json` says in the guest. */
  cloudInitStatus = '{"status": "done", "errors": []}';
  /** How many coming sessions time out first (a guest under load). */
  slowSessions = 0;
  async waitReady() {}
  async run(_target: SshTarget, command: string) {
    this.commands.push(command);
    if (this.slowSessions > 0) {
      this.slowSessions--;
      throw new SkiffError('timeout', 'ssh ubuntu@127.0.0.1 timed out after 90000 ms');
    }
    if (command.includes('boot-finished'))
      return { code: 0, stdout: `@@skiff-status@@\n${this.cloudInitStatus}\n`, stderr: '' };
    return { code: 0, stdout: this.output, stderr: '' };
  }
}

/** A catalog of fixed images: a query matches an image's codename or one of its aliases. */
export class FakeImageResolver implements ImageResolver {
  readonly queries: string[] = [];
  constructor(private readonly images: ImageInfo[]) {}
  check(query: string): void {
    if (/^file:/i.test(query)) throw new SkiffError('invalid-argument', 'fake: file:// is refused');
  }
  async resolve(query: string): Promise<ImageSource> {
    this.queries.push(query);
    if (/^https?:\/\//.test(query)) return { kind: 'url', url: query };
    const image = this.images.find((i) => i.codename === query || i.aliases.includes(query));
    if (!image) throw new SkiffError('not-found', `no image matching "${query}"`);
    return { kind: 'catalog', remote: 'release', image };
  }
}

/** An ImageInfo for tests, `overrides` on top of an Ubuntu 24.04 image. */
export function fakeImageInfo(overrides: Partial<ImageInfo> = {}): ImageInfo {
  return {
    id: 'a'.repeat(64),
    product: 'com.ubuntu.cloud:server:24.04:amd64',
    os: 'Ubuntu',
    release: '24.04',
    releaseTitle: '24.04 LTS',
    codename: 'noble',
    version: '20251120',
    aliases: ['noble', 'lts'],
    supported: true,
    arch: 'amd64',
    item: 'disk1.img',
    url: 'http://mirror.test/releases/noble.img',
    sizeBytes: 1000,
    sha256: 'a'.repeat(64),
    ...overrides,
  };
}

export class FakeImages implements ImageStore {
  readonly users = new Map<string, Set<string>>();
  failWith: Error | null = null;
  async acquire(source: ImageSource, instance: string): Promise<AcquiredImage> {
    if (this.failWith) throw this.failWith;
    const id = source.kind === 'catalog' ? source.image.id : 'f'.repeat(64);
    (this.users.get(id) ?? this.users.set(id, new Set()).get(id)!).add(instance);
    return { id, path: `/images/${id}.img`, sizeBytes: 1000 };
  }
  async release(id: string, instance: string) {
    this.users.get(id)?.delete(instance);
  }
}
