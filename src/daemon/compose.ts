/**
 * @module The composition root: the only place that builds real clocks, HTTP, watchers and services.
 */
import { OpenSshExecutor } from '../backends/ssh/exec-process.js';
import { ExecService } from '../services/exec/exec-service.js';
import type { Logger } from 'pino';
import { join } from 'node:path';
import { systemClock } from '../core/clock.js';
import { UndiciHttpGetter } from '../backends/http/http-getter.js';
import { LinuxNetworkWatcher } from '../backends/host/network-watcher.js';
import { peerCredentials } from '../backends/host/peer-credentials.js';
import { makePrivate } from '../backends/host/private-dir.js';
import { CatalogService } from '../services/catalog/catalog-service.js';
import { CatalogStore } from '../services/catalog/store.js';
import { remoteSpecs } from '../services/catalog/remotes.js';
import { hostArch } from '../core/arch.js';
import { SnapshotSettings } from '../services/snapshots/snapshot-settings.js';
import { SettingsService } from '../services/settings/settings-service.js';
import { TrustService } from '../services/trust/trust-service.js';
import { connectionIdentities } from './client-identity.js';
import type { Services } from './services.js';
import { reportStateLoad } from './state-report.js';
import { composeInstances } from './compose-instances.js';
import { composeNetwork } from './compose-network.js';
import type { CatalogTuning } from './catalog-tuning.js';

export interface ComposeOptions {
  dataDir: string;
  version: string;
  logger: Logger;
  tuning: CatalogTuning;
  imageMirror: string;
  /** Default of `local.network-mode`; null: nat when the daemon can run skiff's network, else user. */
  networkMode: 'nat' | 'user' | null;
}

/** Builds and starts every service. The caller owns the returned stop(). */
export async function compose(
  options: ComposeOptions,
): Promise<{ services: Services; stop(): Promise<void> }> {
  const { dataDir, logger, tuning } = options;
  // Root's alone (images, disks, keys, state); installs made before skiff was this strict are fixed here.
  const fixed = await makePrivate(dataDir);
  if (fixed > 0) logger.info({ dataDir, fixed }, 'removed group and other access in the data dir');
  // skiff's NAT network needs root (bridges, taps, nftables); nothing is made before the first NAT boot.
  const canRunNetwork = process.getuid?.() === 0;
  const settings = new SettingsService(
    dataDir,
    {
      ...(options.imageMirror ? { 'local.image.mirror': options.imageMirror } : {}),
      'local.network-mode': options.networkMode ?? (canRunNetwork ? 'nat' : 'user'),
    },
    systemClock.now,
  );
  reportStateLoad(logger, 'settings.json', await settings.load());
  // local.subnet is read here, at start: a change applies when the daemon next starts.
  const managed = canRunNetwork
    ? await composeNetwork({ dataDir, logger, subnet: settings.raw('local.subnet') || undefined })
    : undefined;
  const network = managed?.network;
  const log = logger.child({ component: 'catalog' });
  const catalog = new CatalogService({
    clock: systemClock,
    random: Math.random,
    http: new UndiciHttpGetter({ userAgent: `skiff/${options.version}` }),
    store: new CatalogStore(join(dataDir, 'catalog')),
    policy: tuning,
    arch: hostArch(),
    log,
    watcher: tuning.watchNetwork
      ? new LinuxNetworkWatcher({ log: logger.child({ component: 'network' }) })
      : null,
    networkDebounceMs: tuning.networkDebounceMs,
  });
  if (!tuning.watchNetwork)
    log.info('network watcher disabled by configuration; relying on retry backoff alone');
  catalog.start();
  await catalog.configure(remoteSpecs(settings.raw('local.image.mirror')));
  settings.onChange(async (key, value) => {
    if (key === 'local.image.mirror') await catalog.configure(remoteSpecs(value));
  });
  const trust = new TrustService({
    dataDir,
    passphraseHash: () => settings.raw('local.passphrase'),
    now: systemClock.now,
  });
  reportStateLoad(logger, 'trusted-clients.json', await trust.load());
  const identity = connectionIdentities(peerCredentials);
  const vms = await composeInstances({
    dataDir,
    logger,
    catalog,
    version: options.version,
    driver: settings.raw('local.driver'),
    network,
    networkMode: () => (settings.raw('local.network-mode') === 'nat' ? 'nat' : 'user'),
    bridgedNetwork: () => settings.raw('local.bridged-network'),
    mountsEnabled: () => settings.raw('local.privileged-mounts') !== 'false',
  });
  // local.NAME.cpus|memory|disk|bridged: kept in the instance records, changed through the instances service.
  settings.addHandler(vms.instances.settings);
  // local.NAME.SNAPSHOT.name|comment: kept in the snapshot records, changed through the snapshots service.
  settings.addHandler(new SnapshotSettings(vms.snapshots));
  return {
    services: {
      version: options.version,
      catalog,
      settings,
      instances: vms.instances,
      vault: vms.vault,
      forwards: vms.forwards,
      mounts: vms.mounts,
      snapshots: vms.snapshots,
      trust,
      // No session limit here: see ExecService.
      exec: new ExecService({
        sshTarget: (name) => vms.instances.sshTarget(name),
        executor: new OpenSshExecutor(),
      }),
      identity,
      callerUid: async (socket) => (await identity(socket)).caller?.uid ?? null,
      caller: async (socket) => (await identity(socket)).caller,
    },
    stop: async () => {
      managed?.close();
      await vms.stop();
      await catalog.stop();
    },
  };
}
