/**
 * @module The launch flow, stage by stage: validate everything, reserve the name, get the image, make the
 * disk and seed, start QEMU, wait for SSH and cloud-init. Any failure undoes what was made.
 */
import { mkdir, statfs } from 'node:fs/promises';
import { totalmem } from 'node:os';
import { pathToFileURL } from 'node:url';
import type { Clock } from '../../core/clock.js';
import { deadlineSignal } from '../../core/deadline.js';
import { DiskFullError, SkiffError } from '../../core/errors.js';
import { instanceExists } from '../../core/messages.js';
import { cloudInitWarning, waitForCloudInit } from './cloud-init-wait.js';
import { checkExtraNics, generateMac, macsInUse, type NetworkRequest } from './extra-nics.js';
import { pinnedHostKey, removeGuestIdentity, writeKnownHosts } from './guest-identity.js';
import type {
  DownloadProgress,
  GuestShell,
  HostKeyMaker,
  HostNetworks,
  ImageResolver,
  ImageSource,
  ImageUpload,
  ImageStore,
  ManagedNetwork,
  MountShare,
  SshIdentity,
  VmDriver,
} from './ports.js';
import { unsupported } from './ports.js';
import { checkInstanceName, generateName, instanceDir, launchSizes } from './spec.js';
import { bootNics, requireNetwork } from './nics.js';
import type { ExtraNic, InstanceRecord, InstanceStore, MountEntry, NetworkMode } from './store.js';

export interface LaunchRequest {
  /** What the user typed (alias, release, id prefix, URL); empty with `upload` or for the default. */
  image: string;
  /** An image the client sends instead (`launch file://...`); `image` must then be empty. */
  upload?: Omit<ImageUpload, 'kind'>;
  name?: string;
  cpus?: number;
  memory?: string;
  disk?: string;
  cloudInit?: string;
  /** Seconds for the whole launch (image, boot, cloud-init). */
  timeoutS?: number;
  /** Extra NICs (`--network`, `--bridged`), in guest order after the primary one. */
  networks?: NetworkRequest[];
  /** Host directories to mount (`launch --mount`), already checked by the mounts service. */
  mounts?: MountEntry[];
}

export interface LaunchDeps {
  store: InstanceStore;
  resolver: ImageResolver;
  images: ImageStore;
  driver: VmDriver;
  shell: GuestShell;
  identity: SshIdentity;
  makeHostKey: HostKeyMaker;
  /** Where the service keeps each guest's SSH identity (host key, known_hosts), one directory per name. */
  identityDir: string;
  /** A directory on the filesystem that holds instances and images: free space is checked there. */
  dataDir: string;
  clock: Clock;
  /** skiff's NAT network; absent when the daemon cannot run one (not root). */
  network?: ManagedNetwork;
  /** The network mode new instances get (`local.network-mode`). */
  networkMode: () => NetworkMode;
  /** The host interfaces extra NICs may use (`skiff networks`). */
  hostNetworks: HostNetworks;
  /** The `local.bridged-network` setting, read at each launch ('' when unset). */
  bridgedNetwork: () => string;
  /** The host directories a boot of `record` shares with its guest (the mounts service's). */
  bootShares?: (record: InstanceRecord) => Promise<MountShare[]>;
}

export interface LaunchContext {
  signal?: AbortSignal;
  progress: (message: string, download?: DownloadProgress) => void;
  /** Something the user should know although the operation succeeded (cloud-init errors). */
  warn?: (message: string) => void;
}

const DEFAULT_TIMEOUT_S = 600;
/** Headroom kept free on the data dir's filesystem beyond what the launch itself needs. */
const FREE_SPACE_MARGIN_BYTES = 256 * 2 ** 20;
/** Assumed expansion of a compressed cloud image before its archive can be read (qcow2 images: ~1-3x). */
const COMPRESSED_EXPANSION = 4;

/** Validates the request completely before anything is made. @returns the checked values. */
export async function validateLaunch(
  request: LaunchRequest,
  deps: Pick<
    LaunchDeps,
    'store' | 'resolver' | 'network' | 'networkMode' | 'driver' | 'hostNetworks' | 'bridgedNetwork'
  >,
) {
  const sizes = launchSizes(
    { cpus: request.cpus, memory: request.memory, disk: request.disk },
    { memoryBytes: totalmem() },
  );
  const name = request.name === undefined || request.name === '' ? null : checkInstanceName(request.name);
  deps.resolver.check(request.image);
  const networkMode = deps.networkMode();
  if (networkMode === 'nat') requireNetwork(deps.network, request.name || 'the instance');
  if (name !== null && deps.store.has(name)) {
    throw new SkiffError('conflict', instanceExists(name), {
      details: { field: 'name' },
    });
  }
  if (request.upload !== undefined && request.image !== '') {
    throw new SkiffError('invalid-argument', 'image and image_upload cannot both be given', {
      details: { field: 'image' },
    });
  }
  if (request.cloudInit !== undefined) (await seedModule()).readUserData(request.cloudInit);
  if (request.timeoutS !== undefined && !(request.timeoutS > 0)) {
    throw new SkiffError('invalid-argument', '--timeout must be a positive number of seconds');
  }
  const extraNics = await checkNetworks(request.networks ?? [], deps);
  return { sizes, name, networkMode, extraNics };
}

/**
 * The extra NICs, checked against the host's interfaces now and every MAC in use; then whether the driver can
 * give an instance any (the user's mistakes are named first).
 */
async function checkNetworks(
  requests: NetworkRequest[],
  deps: Pick<LaunchDeps, 'store' | 'driver' | 'hostNetworks' | 'bridgedNetwork'>,
): Promise<ExtraNic[]> {
  if (requests.length === 0) return [];
  const extraNics = checkExtraNics(requests, {
    interfaces: await deps.hostNetworks.list(),
    bridgedNetwork: deps.bridgedNetwork(),
    macsInUse: macsInUse(deps.store.all()),
  });
  if (!deps.driver.features.extraNics) throw unsupported(deps.driver, 'extraNics');
  return extraNics;
}

/** Runs a launch; the caller holds no lock: the name is reserved by writing its record first. */
export async function launchInstance(
  request: LaunchRequest,
  deps: LaunchDeps,
  ctx: LaunchContext,
): Promise<InstanceRecord> {
  const checked = await validateLaunch(request, deps);
  // The deadline runs on the injected clock; the caller leaving (ctx.signal) ends the launch too.
  const deadline = deadlineSignal(deps.clock, (request.timeoutS ?? DEFAULT_TIMEOUT_S) * 1000, ctx.signal);
  try {
    return await launchChecked(request, checked, deps, { ...ctx, signal: deadline.signal });
  } finally {
    deadline.dispose();
  }
}

async function launchChecked(
  request: LaunchRequest,
  { sizes, name: requested, networkMode, extraNics }: Awaited<ReturnType<typeof validateLaunch>>,
  deps: LaunchDeps,
  ctx: LaunchContext & { signal: AbortSignal },
): Promise<InstanceRecord> {
  const { signal } = ctx;
  const name = requested ?? generateName(new Set(deps.store.all().map((r) => r.name)));
  ctx.progress(`Launching ${name}`);
  const source: ImageSource = request.upload
    ? { kind: 'upload', ...request.upload }
    : await deps.resolver.resolve(request.image, {
        timeoutMs: (request.timeoutS ?? 60) * 1000,
        signal,
        onProgress: (message) => ctx.progress(message),
      });
  await checkFreeSpace(deps.dataDir, source, sizes.diskBytes);
  const vm = deps.driver.instance(name);
  const identityDir = instanceDir(deps.identityDir, name);
  const record: InstanceRecord = {
    name,
    state: 'Starting',
    stateBeforeDelete: null,
    ...sizes,
    sshPort: 0,
    mac: '', // reserveMacs() below
    image: { id: '', path: '', releaseTitle: '', os: '', remote: null, query: queryOf(request), version: '' },
    createdAtMs: deps.clock.now(),
    shutdownAtMs: null,
    launched: false,
    network: { mode: networkMode },
    ...(extraNics.length > 0 && { extraNics }),
    ...(request.mounts?.length && { mounts: request.mounts }),
  };
  // Reserving the name: a second launch with the same name now fails validation with a conflict.
  if (deps.store.has(name)) throw new SkiffError('conflict', instanceExists(name));
  // And the MACs: a launch that passed validation meanwhile may have taken one (checked in the same tick).
  reserveMacs(record, macsInUse(deps.store.all()));
  await deps.store.put(record);
  let acquiredId: string | null = null;
  try {
    ctx.progress('Retrieving image');
    const image = await deps.images.acquire(source, name, {
      signal,
      onProgress: (p) => ctx.progress('Retrieving image', p),
    });
    acquiredId = image.id;
    record.image = { ...record.image, ...describeImage(source), id: image.id, path: image.path };
    if (image.source?.kind === 'catalog' && image.source.version) record.image.version = image.source.version;
    await deps.store.put(record);
    ctx.progress('Preparing image');
    const hostKey = await deps.makeHostKey(identityDir, name);
    const seed = await seedModule();
    const spec = {
      instanceId: seed.newInstanceId(name),
      hostname: name,
      sshAuthorizedKeys: [deps.identity.publicKey],
      macAddress: record.mac,
      hostKey,
      ...(extraNics.length > 0 && { extraNics }),
      ...(request.cloudInit === undefined ? {} : { userData: request.cloudInit }),
    };
    await vm.create({
      baseImage: image.path,
      diskBytes: sizes.diskBytes,
      cloudInit: seed.cloudInitFiles(spec),
    });
    const hostPublicKey = seed.guestHostPublicKey(spec);
    if (hostPublicKey !== null) await writeKnownHosts(identityDir, name, hostPublicKey);
    record.hostKey = hostPublicKey;
    await deps.store.put(record);
    ctx.progress('Starting');
    const { nics, sshAddress } = await bootNics(record, deps.network);
    if (sshAddress !== undefined) record.network = { mode: 'nat', ipv4: sshAddress };
    const endpoint = await vm.start(
      {
        cpus: sizes.cpus,
        memoryBytes: sizes.memoryBytes,
        nics,
        sshAddress,
        mounts: await deps.bootShares?.(record),
      },
      signal,
    );
    record.sshPort = endpoint.port;
    record.sshHost = endpoint.host;
    await deps.store.put(record);
    ctx.progress('Waiting for SSH');
    const target = {
      ...endpoint,
      user: deps.identity.user,
      keyPath: deps.identity.privateKeyPath,
      hostKey: pinnedHostKey(identityDir, name, hostPublicKey),
    };
    // `signal` carries the launch deadline, so this wait needs no timeout of its own beyond it.
    await deps.shell.waitReady(target, { timeoutMs: (request.timeoutS ?? DEFAULT_TIMEOUT_S) * 1000, signal });
    ctx.progress('Waiting for initialization to complete');
    const outcome = await waitForCloudInit(deps.shell, target, signal);
    const warning = cloudInitWarning(name, outcome);
    if (warning !== null) ctx.warn?.(warning);
    return await deps.store.update(name, (r) => {
      r.state = 'Running';
      r.launched = true;
    });
  } catch (error) {
    await vm.destroy().catch(() => undefined);
    await removeGuestIdentity(identityDir);
    if (record.network?.mode === 'nat') await deps.network?.release(name).catch(() => undefined);
    if (acquiredId) await deps.images.release(acquiredId, name).catch(() => undefined);
    await deps.store.remove(name);
    if (timedOut(signal)) {
      throw new SkiffError(
        'timeout',
        `launch of "${name}" timed out after ${request.timeoutS ?? DEFAULT_TIMEOUT_S} s`,
        { cause: error },
      );
    }
    throw error;
  }
}

/**
 * Gives `record` a primary MAC no instance holds, and checks its extra NICs' MACs against `inUse` again.
 * @throws SkiffError('conflict') when another launch took one since validation
 */
function reserveMacs(record: InstanceRecord, inUse: ReadonlyMap<string, string>): void {
  for (const nic of record.extraNics ?? []) {
    const holder = inUse.get(nic.mac);
    if (holder !== undefined)
      throw new SkiffError(
        'conflict',
        `--network ${nic.host}: MAC address ${nic.mac} is already used by instance "${holder}"`,
        {
          details: { mac: nic.mac, instance: holder },
        },
      );
  }
  record.mac = generateMac(new Set([...inUse.keys(), ...(record.extraNics ?? []).map((n) => n.mac)]));
}

/** What the record shows the image was launched from; an upload as the `file://` URL the user typed. */
function queryOf(request: LaunchRequest): string {
  return request.upload ? pathToFileURL(request.upload.name).href : request.image;
}

function describeImage(source: ImageSource): Partial<InstanceRecord['image']> {
  if (source.kind === 'catalog') {
    return {
      releaseTitle: source.image.releaseTitle,
      os: source.image.os,
      remote: source.remote,
      version: source.image.version,
    };
  }
  return { releaseTitle: '', os: '', remote: null, version: '' };
}

/**
 * Whether the data dir's filesystem can take the image and the disk's first growth. A compressed catalog
 * image (`.xz`/`.gz`) needs its download and its expanded copy at once; the expanded size is not known
 * before the download, so it counts as COMPRESSED_EXPANSION times the download here (the vault checks again
 * with the size the archive records, before decompressing). @throws DiskFullError
 */
async function checkFreeSpace(dir: string, source: ImageSource, diskBytes: number): Promise<void> {
  await mkdir(dir, { recursive: true });
  const stats = await statfs(dir);
  const free = stats.bavail * stats.bsize;
  const download = source.kind === 'catalog' ? source.image.sizeBytes : 0;
  const compressed = source.kind === 'catalog' && /\.(xz|gz)$/i.test(source.image.url);
  const image = compressed ? download * (1 + COMPRESSED_EXPANSION) : download;
  // The overlay grows lazily, so the full disk size is not reserved; a tenth of it is a floor for the first boot.
  const needed = image + Math.min(diskBytes / 10, 2 ** 30) + FREE_SPACE_MARGIN_BYTES;
  if (free < needed) {
    throw new DiskFullError(
      `not enough free disk space in ${dir}: ${mib(free)} MiB free, about ${mib(needed)} MiB needed`,
      { dir, neededBytes: needed, freeBytes: free },
    );
  }
}

const mib = (bytes: number) => Math.floor(bytes / 2 ** 20);

/** Whether `signal` ended by its deadline (not by the caller leaving). */
const timedOut = (signal: AbortSignal): boolean =>
  signal.aborted && (signal.reason as { name?: unknown } | undefined)?.name === 'TimeoutError';

/** The seed composer pulls in the YAML library: loaded on the first launch, not by every idle daemon. */
const seedModule = () => import('./seed/cloud-init.js');
