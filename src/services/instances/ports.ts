/**
 * @module What the instances service needs from the outside: images, host keys, ports, the guest shell, and
 * the VM driver seam (in the manner of Lima's pkg/driver): a driver makes a handle per instance name; the
 * handle owns the instance's storage (and its destroy()), and offers a small required core (create with a
 * disk and cloud-init data, start, stop, power state, where SSH answers) plus optional capabilities that the
 * driver advertises in `features`. A capability a driver lacks is a named error (`the qemu driver does not
 * support snapshots`, exit 2), never a silent no-op. Backends implement these; services never import them.
 */
import { SkiffError } from '../../core/errors.js';
import type { SshTarget } from '../../core/ssh-args.js';
import type { ImageSource } from '../vault/types.js';
import type { DownloadProgress } from '../vault/ports.js';
import type { InstanceRecord } from './store.js';

export type { ImageSource, ImageUpload } from '../vault/types.js';
export type { DownloadProgress } from '../vault/ports.js';

export interface AcquiredImage {
  /** sha256 of the stored file. */
  id: string;
  path: string;
  sizeBytes: number;
  /** Where it came from: offline, the vault may serve an older cached version of the product asked for. */
  source?: { kind: string; version?: string; releaseTitle?: string };
}

/** Turns what the user typed after `launch` into an image source (the catalog implements it). */
export interface ImageResolver {
  /** The checks that need no catalog, for validation before anything is made. @throws invalid-argument */
  check(query: string): void;
  /** A URL or a catalog image, waiting for a missing catalog as `find` does. @throws not-found, timeout */
  resolve(
    query: string,
    options: { timeoutMs: number; signal?: AbortSignal; onProgress?: (message: string) => void },
  ): Promise<ImageSource>;
}

/** The image vault as the instances service sees it. */
export interface ImageStore {
  acquire(
    source: ImageSource,
    instance: string,
    options: { signal?: AbortSignal; onProgress?: (p: DownloadProgress) => void },
  ): Promise<AcquiredImage>;
  release(id: string, instance: string): Promise<void>;
}

/** An SSH host key pair for a guest (OpenSSH formats). */
export interface GuestHostKey {
  privateKey: string;
  /** One line, `ssh-ed25519 AAAA... comment`. */
  publicKey: string;
}

/** Makes a fresh host key pair for the guest of `name`, kept in `dir`. */
export type HostKeyMaker = (dir: string, name: string) => Promise<GuestHostKey>;

/** The daemon's SSH identity for guests. */
export interface SshIdentity {
  user: string;
  privateKeyPath: string;
  publicKey: string;
}

export type { SshTarget };

/** What the VM is doing. `suspended` = not running, with saved memory to resume from. */
export type VmPower = 'running' | 'paused' | 'stopped' | 'suspended';

/** The NoCloud files for a guest, by name; each driver decides how to hand them over (QEMU: an ISO). */
export interface CloudInitData {
  'meta-data': string;
  'user-data': string;
  'network-config'?: string;
}

/** Where the guest's SSH server answers. */
export interface GuestEndpoint {
  host: string;
  port: number;
}

/** Optional capabilities, advertised by each driver. */
export interface DriverFeatures {
  /** Save memory and stop; start resumes (`suspend`). */
  suspend: boolean;
  /** Grow a stopped instance's disk. */
  resize: boolean;
  snapshots: boolean;
  mounts: boolean;
  /** Network interfaces beyond the default one (`--network`, `--bridged`). */
  extraNics: boolean;
  /** Host ports forwarded into a user-mode guest by the driver itself (`skiff forward`; see HostForwarder). */
  forward: boolean;
  /** A full, independent copy of a stopped instance's storage under a new name (`skiff clone`; see Cloner). Absent: false. */
  clone?: boolean;
  /** Reading and replacing a stopped instance's cloud-init data (see SeedStore). Absent: false. */
  reseed?: boolean;
}
export type DriverFeature = keyof DriverFeatures;

/** Words for each capability in "the X driver does not support ..." */
const FEATURE_WORDS: Record<DriverFeature, string> = {
  suspend: 'suspend',
  resize: 'resizing disks',
  snapshots: 'snapshots',
  mounts: 'mounts',
  extraNics: 'extra network interfaces',
  forward: 'port forwarding for user-mode networking',
  clone: 'cloning instances',
  reseed: 'changing cloud-init data',
};

export interface VmDriver {
  /** The `local.driver` value that selects it. */
  readonly name: string;
  readonly features: Readonly<DriverFeatures>;
  /** One line for the log: what it runs VMs with, and why (QEMU: KVM or TCG). Never throws. */
  describe(): Promise<string>;
  /** The handle of the instance called `name` (which may not exist yet). */
  instance(name: string): VmInstance;
}

/** How one NIC reaches a network. */
export type NicAttachment =
  /** The driver's own user-mode NAT with SSH forwarded to a loopback port (first NIC only; no address). */
  | { kind: 'user' }
  /** A port on a host bridge: skiff's own NAT bridge, or one the user made (`--network br0`). */
  | { kind: 'bridge'; bridge: string }
  /** A macvtap device on a host ethernet interface (`--network eth1`). */
  | { kind: 'macvtap'; parent: string };

export interface NicSpec {
  /** Stable for the instance: the seed's network-config and DHCP reservations match it. */
  mac: string;
  attach: NicAttachment;
}

export interface StartSpec {
  cpus: number;
  memoryBytes: number;
  /** The NICs in guest order; the first is the primary one, which SSH goes through. */
  nics: NicSpec[];
  /**
   * Where the guest's SSH server answers when the primary NIC is not user-mode: its reserved IPv4 on the
   * bridge (port 22). Required then; ignored for a user-mode NIC.
   */
  sshAddress?: string;
  /** Restore the saved state of a suspend (drivers with the suspend feature). */
  resume?: boolean;
  /** Host directories shared from the boot on (drivers with the mounts feature). */
  mounts?: MountShare[];
  /**
   * Start from this snapshot's saved memory (one Snapshotter.take made of a running VM): disk and memory both
   * come back as they were, and the guest carries on from there. Drivers with the snapshots feature.
   */
  loadSnapshot?: string;
}

export interface VmInstance {
  readonly name: string;
  /** Makes the storage: a disk of `diskBytes` on `baseImage`, with the cloud-init data attached. */
  create(spec: { baseImage: string; diskBytes: number; cloudInit: CloudInitData }): Promise<void>;
  /** Boots (or resumes); resolves once the VM runs. @returns where SSH will answer */
  start(spec: StartSpec, signal?: AbortSignal): Promise<GuestEndpoint>;
  /** Graceful shutdown within `timeoutMs` (@throws SkiffError timeout), or at once with `force`. */
  stop(options: { force?: boolean; timeoutMs?: number }): Promise<void>;
  /** Never throws. */
  power(): Promise<VmPower>;
  /** Where SSH answers while it runs (as start said), or null. Never throws. */
  endpoint(): Promise<GuestEndpoint | null>;
  /** The process behind the VM, for logs; null when none. Never throws. */
  pid(): Promise<number | null>;
  /** Virtual and allocated sizes of the disk. */
  disk(): Promise<{ virtualBytes: number; actualBytes: number }>;
  /** Hard reset of a running guest (a new boot). */
  reset(): Promise<void>;
  /** Ends the VM and removes everything stored for it. Idempotent. */
  destroy(): Promise<void>;
  /** Present exactly when the driver's `features.suspend`. */
  readonly suspender?: Suspender;
  /** Present exactly when the driver's `features.resize`. */
  readonly resizer?: Resizer;
  /** Present exactly when the driver's `features.forward`. */
  readonly hostForwarder?: HostForwarder;
  /** Present exactly when the driver's `features.mounts`. */
  readonly mounter?: Mounter;
  /** Present exactly when the driver's `features.clone`. */
  readonly cloner?: Cloner;
  /** Present exactly when the driver's `features.reseed`. */
  readonly seed?: SeedStore;
  /** Present exactly when the driver's `features.snapshots`. */
  readonly snapshotter?: Snapshotter;
}

/**
 * Snapshots kept inside the instance's storage, under ids the service picks (never the user's names, which can
 * change). Separate from a suspend's saved state: neither ever touches the other.
 */
export interface Snapshotter {
  /**
   * Takes snapshot `id`: of the disk alone when the VM is stopped, of disk and memory together when it runs (the
   * guest pauses meanwhile and carries on after). @returns whether memory was saved
   * @throws SkiffError conflict when suspended or the id exists; the driver's reason when the VM cannot be saved
   */
  take(id: string): Promise<{ memory: boolean }>;
  /** Puts a stopped VM's disk back as it was at `id` (memory comes back only through StartSpec.loadSnapshot). */
  revert(id: string): Promise<void>;
  /** Removes snapshot `id`, whether the VM runs or not. Idempotent. */
  remove(id: string): Promise<void>;
  /** The ids present, each with whether it holds memory. Never throws (none without storage). */
  list(): Promise<Array<{ id: string; memory: boolean }>>;
}

/** Copies a stopped instance's storage to a new instance (`skiff clone`). */
export interface Cloner {
  /**
   * Makes the storage of the instance `target` (which has none): a full copy of this instance's disk that
   * depends on nothing of this one (no backing file shared with it, no snapshots, no saved state), with
   * `cloudInit` attached. On failure nothing of `target` is left. @throws SkiffError conflict while this VM runs
   */
  cloneTo(target: string, cloudInit: CloudInitData): Promise<void>;
}

/** The cloud-init data attached to an instance (QEMU: its seed ISO). */
export interface SeedStore {
  /** The files attached now. @throws SkiffError internal when they cannot be read */
  read(): Promise<CloudInitData>;
  /** Replaces them (atomically: the old or the new set, never half); read by the guest at its next boot. */
  write(data: CloudInitData): Promise<void>;
}

/** How a host directory reaches the guest: virtiofs (hot-pluggable), else virtio-9p (only from a boot). */
export type MountTransport = 'virtiofs' | '9p';

/** One host directory shared with a guest, as the driver sees it (the service checked the caller's rights). */
export interface MountShare {
  /** The guest-side tag (`mount -t virtiofs TAG DIR`); unique within the instance, [a-z0-9-]{1,31}. */
  tag: string;
  /** An absolute, resolved host directory. */
  source: string;
  /** Host id → guest id; the ids not listed map to themselves. */
  uidMap: Array<{ host: number; guest: number }>;
  gidMap: Array<{ host: number; guest: number }>;
  /**
   * The uid `source` must still belong to when the driver opens it (a user who is not root may share only their
   * own directory; root's shares have none). Drivers open the directory once, refusing a path that no longer
   * names the checked directory, and serve what they opened.
   */
  ownerUid?: number;
}

/**
 * Shares host directories with a VM. The guest-side `mount` is the service's (over SSH): the driver only makes
 * the share visible to the guest under its tag.
 */
export interface Mounter {
  /**
   * Shares with the running VM now (virtiofs hot-plug). @returns the transport used
   * @throws SkiffError unsupported when only a boot can add it (9p without virtiofs): the message says so
   */
  attach(share: MountShare): Promise<MountTransport>;
  /** Withdraws a share (the guest must have unmounted it). Idempotent. */
  detach(tag: string): Promise<void>;
  /** The shares a boot should carry, each with the transport it will use (set before start). */
  transports(shares: MountShare[]): Promise<MountTransport[]>;
  /**
   * Whether the host side of an attached virtiofs share still serves it (its virtiofsd lives). A dead one is
   * replaced only by a new boot (vhost-user-fs cannot reconnect). Never throws.
   */
  serving(tag: string): Promise<boolean>;
}

/** One host port forwarded to a guest port (the shape of core/forward-rule.ts's ForwardRule). */
export interface HostForwardRule {
  protocol: 'tcp' | 'udp';
  /** An IPv4 literal; `0.0.0.0` listens on every address. */
  hostAddress: string;
  hostPort: number;
  guestPort: number;
}

/**
 * Forwards host ports into a running guest through the driver's user-mode network (QEMU: slirp's hostfwd).
 * Rules live as long as the VM process: a new boot starts with none, and the service adds them again.
 */
export interface HostForwarder {
  /**
   * Starts listening on the rule's host side, replacing a rule with the same host side (so a restarted daemon
   * can add again what a running VM still has). @throws SkiffError conflict when the VM is not running or the
   * host port is taken (naming the address and port)
   */
  add(rule: HostForwardRule): Promise<void>;
  /** Stops listening on the rule's host side. Idempotent: an absent rule or a stopped VM is not an error. */
  remove(rule: Omit<HostForwardRule, 'guestPort'>): Promise<void>;
}

export interface Suspender {
  /** Saves memory and ends the VM process. */
  suspend(): Promise<void>;
  /** Whether a saved state waits to be resumed. Never throws. */
  hasState(): Promise<boolean>;
  /** Finishes or undoes a suspend a crash interrupted. */
  settle(): Promise<'suspended' | 'running' | 'stopped'>;
  /**
   * Drops a saved state that no longer describes the disk: one a resume left behind when a crash came between
   * restoring it and dropping it. Resuming from it later would roll the disk back.
   */
  discard(): Promise<void>;
}

export interface Resizer {
  /** Grows the disk of a stopped instance (never shrinks). */
  grow(diskBytes: number): Promise<void>;
}

/** The named error for a capability `driver` lacks. */
export function unsupported(driver: Pick<VmDriver, 'name'>, feature: DriverFeature): SkiffError {
  return new SkiffError(
    'unsupported',
    `the ${driver.name} driver does not support ${FEATURE_WORDS[feature]}`,
    {
      details: { driver: driver.name, feature },
    },
  );
}

/** The capability object, or the named error. */
export function capability<T>(
  driver: Pick<VmDriver, 'name'>,
  feature: DriverFeature,
  value: T | undefined,
): T {
  if (value === undefined) throw unsupported(driver, feature);
  return value;
}

/**
 * skiff's own NAT network (a bridge, DHCP and DNS for `NAME.skiff`, NAT), as the instances service uses it.
 * It outlives the daemon: a restarted daemon re-adopts it, and guests keep their addresses meanwhile.
 */
export interface ManagedNetwork {
  /** Brings the network up, or re-adopts what is there. Idempotent. @returns the bridge guests attach to */
  ensure(): Promise<{ bridge: string }>;
  /**
   * The IPv4 kept for the instance `name` with `mac`: reserved on the first call (a DHCP reservation and the
   * DNS name `name.skiff`), the same on every later call. @throws SkiffError when the subnet is full
   */
  reserve(name: string, mac: string): Promise<string>;
  /** Drops the reservation and the DNS name. Idempotent. */
  release(name: string): Promise<void>;
  /** The IPv4 addresses guests hold now, by lowercase MAC (from the DHCP leases). Never throws; never slow. */
  leases(): Promise<ReadonlyMap<string, string[]>>;
}

/**
 * Told when an instance's VM comes up and after it went down (port forwards follow it). The instances service
 * awaits each call; implementations never throw (they log what failed).
 */
export interface InstanceLifecycle {
  /** The instance is Running (after start, restart, resume, or a suspend the daemon died during undone). */
  running(record: InstanceRecord): Promise<void>;
  /** The VM stopped, was suspended, or the instance was deleted. */
  stopped(name: string): Promise<void>;
}

/** Runs commands in a guest over SSH (the OpenSSH client with the daemon's key). */
export interface GuestShell {
  /** Resolves once the guest's SSH server sends its banner and a trivial command succeeds. */
  waitReady(target: SshTarget, options: { timeoutMs: number; signal?: AbortSignal }): Promise<void>;
  /**
   * Runs a command, collecting output (for short daemon-side commands like reading /etc/os-release). `signal`
   * ends the session at once (rejecting with its reason). Implementations bound how many run at once;
   * `timeoutMs` counts from the start of the command, and output past `maxOutputBytes` fails the run.
   */
  run(
    target: SshTarget,
    command: string,
    options?: { timeoutMs?: number; input?: string; signal?: AbortSignal; maxOutputBytes?: number },
  ): Promise<{ code: number; stdout: string; stderr: string }>;
}

/** A host interface an instance can have a NIC on (`skiff networks`, `launch --network`). */
export interface HostInterface {
  name: string;
  /** bridge: a NIC on the bridge (a tap); ethernet: a macvtap on the interface. */
  type: 'bridge' | 'ethernet';
  /** Multipass's words: `Network bridge with eth0`, `Ethernet device`. */
  description: string;
}

/** The host's interfaces usable for extra NICs. */
export interface HostNetworks {
  /** Read afresh on each call (interfaces come and go). @throws SkiffError when they cannot be read */
  list(): Promise<HostInterface[]>;
}
