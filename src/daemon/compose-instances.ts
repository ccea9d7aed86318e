/**
 * @module The VM half of the composition root: vault and its upkeep (6-hourly refresh, 14-day prune), the VM
 * driver chosen by `local.driver` (from the registry below), SSH, and the instances service.
 */
import type { Logger } from 'pino';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { systemClock } from '../core/clock.js';
import { socketPortProbe } from '../backends/forward/port-probe.js';
import { socketRelays } from '../backends/forward/socket-relays.js';
import { UndiciDownloader } from '../backends/http/downloader.js';
import { QemuDriver } from '../backends/qemu/driver.js';
import { inspectImage } from '../backends/qemu/img.js';
import { LinuxHostNetworks } from '../backends/net/host-networks.js';
import { ensureKeyPair } from '../backends/ssh/keys.js';
import { OpenSshGuestShell } from '../backends/ssh/session.js';
import type { CatalogService } from '../services/catalog/catalog-service.js';
import { CatalogImageResolver } from '../services/catalog/image-resolution.js';
import { ForwardsService } from '../services/forwards/forwards-service.js';
import { hostSourceAccess } from '../backends/host/source-access.js';
import { openSshSftpFeed } from '../backends/ssh/sftp-feed.js';
import { MountsService } from '../services/mounts/mounts-service.js';
import { SYSTEM_TREES } from '../services/mounts/rights.js';
import { IDENTITY_FILES } from '../services/instances/guest-identity.js';
import { InstancesService } from '../services/instances/instances.js';
import { networkModeOf } from '../services/instances/nics.js';
import { reconcileInstances } from '../services/instances/reconcile.js';
import { InstanceStore } from '../services/instances/store.js';
import { SnapshotsService } from '../services/snapshots/snapshots-service.js';
import { SnapshotStore } from '../services/snapshots/store.js';
import type { ManagedNetwork, VmDriver } from '../services/instances/ports.js';
import type { NetworkMode } from '../services/instances/store.js';
import { VaultMaintenance } from '../services/vault/maintenance.js';
import { Vault } from '../services/vault/vault.js';
import { reportStateLoad } from './state-report.js';

/** The VM drivers, by their `local.driver` name (settings allow only these). */
/** How often running instances' virtiofs shares are checked for a dead virtiofsd. */
const SHARE_SUPERVISION_MS = 5_000;

const DRIVERS: Record<string, (dataDir: string, log: Logger) => VmDriver> = {
  qemu: (dataDir, log) =>
    new QemuDriver({
      root: join(dataDir, 'instances'),
      onAccelerator: ({ accel, reason }) => log.info({ accel }, `accelerator: ${reason}`),
    }),
};
/**
 * skiff's own NAT bridge (its default name): never offered for `--network`, since guests join it through their
 * primary NIC. When the managed network's bridge name becomes configurable, pass that name here.
 */
const MANAGED_BRIDGE = 'skiffbr0';
/** ssh processes the daemon runs at once (guest facts, readiness checks); 4 keep 2 cores responsive. */
const MAX_SSH_SESSIONS = 4;

export async function composeInstances(options: {
  dataDir: string;
  logger: Logger;
  catalog: CatalogService;
  version: string;
  /** `local.driver`. */
  driver: string;
  /** skiff's NAT network, when this daemon can run one. */
  network?: ManagedNetwork;
  /** The network mode for new instances (`local.network-mode`). */
  networkMode: () => NetworkMode;
  /** `local.bridged-network`, read at each launch. */
  bridgedNetwork: () => string;
  /** `local.privileged-mounts`, read at each mount. */
  mountsEnabled: () => boolean;
}) {
  const { dataDir, logger, catalog } = options;
  const log = logger.child({ component: 'instances' });
  const downloader = new UndiciDownloader({ userAgent: `skiff/${options.version}` });
  const vault = new Vault({
    dir: join(dataDir, 'vault'),
    downloader,
    inspector: { inspect: inspectImage },
    clock: systemClock,
    log: logger.child({ component: 'vault' }),
  });
  await vault.init();
  const makeDriver = DRIVERS[options.driver];
  if (makeDriver === undefined) throw new Error(`local.driver: no driver named "${options.driver}"`);
  const driver = makeDriver(dataDir, log);
  const key = await ensureKeyPair({ dir: join(dataDir, 'ssh'), comment: 'skiffd' });
  const store = new InstanceStore(dataDir, systemClock.now);
  reportStateLoad(log, 'instances.json', await store.load());
  const identityDir = join(dataDir, 'guests');
  const snapshotStore = new SnapshotStore(dataDir, systemClock.now);
  reportStateLoad(log, 'snapshots.json', await snapshotStore.load());
  const forwards = new ForwardsService({
    store,
    driver,
    relays: socketRelays(),
    probe: socketPortProbe,
    // `instances` exists by the time anything lists forwards.
    liveStates: async () => new Map((await instances.list()).map((v) => [v.record.name, v.state])),
    log: logger.child({ component: 'forwards' }),
  });
  const shell = new OpenSshGuestShell({ maxSessions: MAX_SSH_SESSIONS });
  const mounts = new MountsService({
    store,
    driver,
    shell,
    // `instances` exists by the time anything mounts.
    sshTarget: (name) => instances.sshTarget(name),
    access: hostSourceAccess,
    feed: openSshSftpFeed({ logDir: join(dataDir, 'logs') }),
    protectedTrees: [...SYSTEM_TREES, dataDir],
    enabled: options.mountsEnabled,
    log: logger.child({ component: 'mounts' }),
  });
  const instances: InstancesService = new InstancesService({
    store,
    resolver: new CatalogImageResolver(catalog),
    images: vault,
    driver,
    // A burst of guest reads queues for these sessions instead of forking one ssh per request.
    shell,
    identity: { user: 'ubuntu', privateKeyPath: key.privateKeyPath, publicKey: key.publicKey },
    makeHostKey: async (dir, name) => {
      const pair = await ensureKeyPair({ dir, name: IDENTITY_FILES.hostKey, comment: name });
      return { privateKey: await readFile(pair.privateKeyPath, 'utf8'), publicKey: pair.publicKey };
    },
    identityDir,
    dataDir,
    clock: systemClock,
    log,
    ...(options.network === undefined ? {} : { network: options.network }),
    networkMode: options.networkMode,
    hostNetworks: new LinuxHostNetworks({ exclude: [MANAGED_BRIDGE] }),
    bridgedNetwork: options.bridgedNetwork,
    lifecycle: {
      running: async (record) => (await forwards.running(record), await mounts.running(record)),
      stopped: async (name) => (await forwards.stopped(name), await mounts.stopped()),
    },
    bootShares: (record) => mounts.bootShares(record),
    purged: (name) => snapshots.forget(name),
  });
  const snapshots = new SnapshotsService({
    store: snapshotStore,
    driver,
    clock: systemClock,
    instances: {
      withInstance: (name, work) => instances.withInstance(name, work),
      get: (name) => store.get(name),
      update: (name, change) => store.update(name, change),
      endVm: (name) => instances.endVm(name),
      bootFromSnapshot: (name, id) => instances.bootFromSnapshot(name, id),
    },
  });
  const report = await reconcileInstances({ store, driver, images: vault, instances, identityDir, log });
  const forgotten = await snapshots.reconcile();
  if (forgotten.length > 0)
    log.info({ instances: forgotten }, 'dropped the snapshot records of instances gone');
  // A crash between acquiring an image and recording the instance would otherwise leave a user that never goes.
  await vault.reconcileUsers(
    store
      .all()
      .filter((r) => r.image.id)
      .map((r) => ({ id: r.image.id, instance: r.name })),
  );
  if (
    report.adopted.length +
      report.stopped.length +
      report.removedUnfinished.length +
      report.settlingSuspends.length >
    0
  )
    log.info(report, 'instances reconciled');
  // Relays live in this process: a restarted daemon opens them again (user-mode forwards are re-added too).
  await forwards.activateAll();
  // Guests that kept running while the daemon was away keep their mounts; any they lost are mounted again.
  void mounts.activateAll();
  // A virtiofsd that dies is noticed within seconds and its mount shown as down until a restart.
  const stopShareSupervision = mounts.superviseShares(SHARE_SUPERVISION_MS);

  // Guests on skiff's network keep it while the daemon is away; at start the daemon takes it back (dnsmasq
  // re-adopted and supervised again) without waiting for the next boot.
  const network = options.network;
  if (network !== undefined && store.all().some((r) => networkModeOf(r) === 'nat' && r.state !== 'Deleted'))
    void network.ensure().then(
      ({ bridge }) => log.info({ bridge }, "skiff's NAT network re-adopted"),
      (error: unknown) => log.warn({ err: error }, "skiff's NAT network could not be brought up"),
    );

  // Every 6 h: the newer image for each cached alias, then a prune of what went unused for 14 days.
  const maintenance = new VaultMaintenance({ vault, catalog, clock: systemClock, log });
  maintenance.start();

  return {
    instances,
    snapshots,
    vault,
    forwards,
    mounts,
    stop: async () => {
      maintenance.stop();
      stopShareSupervision();
      instances.stopTimers();
      await forwards.close();
      await downloader.close();
    },
  };
}
