/**
 * @module The VM half of the composition root: vault, QEMU backend, SSH, seeds, the instances service, and
 * the periodic image refresh (6 h) and prune (unused for 14 days).
 */
import type { Logger } from 'pino';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { systemClock } from '../core/clock.js';
import { UndiciDownloader } from '../backends/http/downloader.js';
import { freeLoopbackPort } from '../backends/host/free-port.js';
import { writeSeedIso } from '../backends/iso/seed-iso.js';
import { QemuBackend } from '../backends/qemu/backend.js';
import { inspectImage } from '../backends/qemu/img.js';
import { ensureKeyPair } from '../backends/ssh/keys.js';
import { OpenSshGuestShell } from '../backends/ssh/session.js';
import type { Accelerator } from '../backends/vm.js';
import type { CatalogService } from '../services/catalog/catalog-service.js';
import { IDENTITY_FILES } from '../services/instances/guest-identity.js';
import { InstancesService } from '../services/instances/instances.js';
import { reconcileInstances } from '../services/instances/reconcile.js';
import { InstanceStore } from '../services/instances/store.js';
import type { SeedWriter } from '../services/instances/ports.js';
import { VaultMaintenance } from '../services/vault/maintenance.js';
import { Vault } from '../services/vault/vault.js';
import { reportStateLoad } from './state-report.js';

/** ssh processes the daemon runs at once (guest facts, readiness checks); 4 keep 2 cores responsive. */
const MAX_SSH_SESSIONS = 4;

export async function composeInstances(options: {
  dataDir: string;
  logger: Logger;
  catalog: CatalogService;
  version: string;
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
  const backend = new QemuBackend();
  // Detected once, lazily: the first launch pays for the probe, not the daemon's start-up.
  let accel: Promise<Accelerator> | null = null;
  const detect = () =>
    (accel ??= backend.detectAccelerator().then(({ accel: chosen, reason }) => {
      log.info({ accel: chosen }, `accelerator: ${reason}`);
      return chosen;
    }));
  const key = await ensureKeyPair({ dir: join(dataDir, 'ssh'), comment: 'skiffd' });
  // cloud-init.ts pulls in the YAML library: loaded on the first launch, not by every idle daemon.
  const cloudInit = () => import('../backends/iso/cloud-init.js');
  const seed: SeedWriter = {
    validate: async (text) => void (await cloudInit()).readUserData(text),
    write: async (request) => {
      const { cloudInitFiles, guestHostPublicKey } = await cloudInit();
      const spec = {
        instanceId: request.instanceId,
        hostname: request.hostname,
        sshAuthorizedKeys: request.authorizedKeys,
        macAddress: request.mac,
        hostKey: request.hostKey,
        ...(request.userData === null ? {} : { userData: request.userData }),
      };
      await writeSeedIso({ dir: request.dir, files: cloudInitFiles(spec) });
      return { hostPublicKey: guestHostPublicKey(spec) };
    },
  };
  const store = new InstanceStore(dataDir, systemClock.now);
  reportStateLoad(log, 'instances.json', await store.load());
  const instancesDir = join(dataDir, 'instances');
  const instances = new InstancesService({
    store,
    catalog,
    images: vault,
    backend,
    // A burst of guest reads queues for these sessions instead of forking one ssh per request.
    shell: new OpenSshGuestShell({ maxSessions: MAX_SSH_SESSIONS }),
    seed,
    identity: { user: 'ubuntu', privateKeyPath: key.privateKeyPath, publicKey: key.publicKey },
    makeHostKey: async (dir, name) => {
      const pair = await ensureKeyPair({ dir, name: IDENTITY_FILES.hostKey, comment: name });
      return { privateKey: await readFile(pair.privateKeyPath, 'utf8'), publicKey: pair.publicKey };
    },
    allocatePort: freeLoopbackPort,
    instancesDir,
    accel: detect,
    clock: systemClock,
    log,
  });
  const report = await reconcileInstances({ store, backend, images: vault, instances, instancesDir, log });
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

  // Every 6 h: the newer image for each cached alias, then a prune of what went unused for 14 days.
  const maintenance = new VaultMaintenance({ vault, catalog, clock: systemClock, log });
  maintenance.start();

  return {
    instances,
    vault,
    stop: async () => {
      maintenance.stop();
      instances.stopTimers();
      await downloader.close();
    },
  };
}
