/**
 * @module `clone`: a stopped instance copied under a new name, as Multipass does it. The copy is a full disk
 * that needs nothing of the source (the driver flattens it), with new MACs for every NIC, the clone's name as
 * hostname and a new cloud-init instance-id, so the guest's per-instance modules run again on its first boot.
 * The source's user-data is kept as it is (the user's cloud-config, skiff's login user and the guest's SSH host
 * key, as Multipass keeps its cloud-init ISO): the clone presents the source's host key, pinned for it too.
 * Mounts are copied (Multipass does); port forwards are not (a host port has one listener). Snapshots are
 * not copied. NAT mode: the clone gets its own address reservation at its first boot.
 *
 * Crash safety: the clone's record is written first, marked unfinished (`launched: false`), and the caller
 * holds the clone's operation queue meanwhile; a failure undoes everything, and a daemon that dies midway
 * removes the unfinished instance at its next start (reconcile.ts), storage and all.
 */
import { SkiffError } from '../../core/errors.js';
import { instanceDeleted, instanceExists, instanceMissing } from '../../core/messages.js';
import { generateMac, macsInUse } from './extra-nics.js';
import { removeGuestIdentity, writeKnownHosts } from './guest-identity.js';
import { networkModeOf, requireNetwork } from './nics.js';
import { capability, type CloudInitData, type ManagedNetwork, type VmDriver } from './ports.js';
import { metaData, networkConfig, newInstanceId } from './seed/cloud-init.js';
import { checkInstanceName, instanceDir } from './spec.js';
import type { InstanceRecord, InstanceStore } from './store.js';
import type { Clock } from '../../core/clock.js';

export interface CloneDeps {
  store: InstanceStore;
  driver: VmDriver;
  network?: ManagedNetwork;
  /** Where the service keeps each guest's SSH identity (see guest-identity.ts). */
  identityDir: string;
  clock: Clock;
}

/** Highest N tried for a default name: far more clones than anyone keeps of one instance. */
const MAX_CLONE_NUMBER = 10_000;

/**
 * The clone's name: the one asked for (checked), else the first free `SOURCE-cloneN` from N = 1.
 * @throws SkiffError invalid-argument (a bad name, naming the field) or conflict (taken)
 */
export function cloneName(
  source: string,
  requested: string | undefined,
  taken: (name: string) => boolean,
): string {
  if (requested !== undefined && requested !== '') {
    checkInstanceName(requested);
    if (taken(requested))
      throw new SkiffError('conflict', instanceExists(requested), {
        details: { field: 'name' },
      });
    return requested;
  }
  for (let n = 1; n <= MAX_CLONE_NUMBER; n++) {
    const name = `${source}-clone${n}`;
    if (!taken(name)) return checkInstanceName(name);
  }
  throw new SkiffError('conflict', `no free clone name for "${source}" (give one with --name)`);
}

/**
 * Checks that `source` may be cloned now: recorded, finished, not deleted, stopped (`power` is what its VM
 * really does). @throws SkiffError conflict, with Multipass's words for a source that is not stopped
 */
export function checkCloneSource(source: InstanceRecord, power: string): void {
  if (source.state === 'Deleted')
    throw new SkiffError('conflict', `${instanceDeleted(source.name)} (run "skiff recover" first)`, {
      details: { state: source.state },
    });
  if (!source.launched || source.state !== 'Stopped' || power !== 'stopped')
    throw new SkiffError(
      'conflict',
      `skiff can only clone stopped instances: "${source.name}" is ${source.launched ? source.state : 'being made'}`,
      { details: { state: source.state } },
    );
}

/** The clone's record: the source's, renamed, with new MACs, no forwards, and unfinished until made. */
export function cloneRecord(
  source: InstanceRecord,
  name: string,
  macs: Set<string>,
  nowMs: number,
): InstanceRecord {
  const record: InstanceRecord = {
    ...structuredClone(source),
    name,
    state: 'Stopped',
    stateBeforeDelete: null,
    sshPort: 0,
    mac: generateMac(macs),
    createdAtMs: nowMs,
    shutdownAtMs: null,
    launched: false,
    network: { mode: networkModeOf(source) },
  };
  delete record.sshHost;
  delete record.forwards;
  if (source.extraNics !== undefined)
    record.extraNics = source.extraNics.map((nic) => ({ ...nic, mac: generateMac(macs) }));
  if (source.mounts !== undefined)
    record.mounts = source.mounts.map(({ transport: _transport, ...mount }) => mount);
  return record;
}

/** The source's seed with the clone's identity: new instance-id, hostname and MACs; user-data as it was. */
export function cloneSeed(
  source: CloudInitData,
  clone: InstanceRecord,
  random?: (n: number) => Uint8Array,
): CloudInitData {
  return {
    'meta-data': metaData({ instanceId: newInstanceId(clone.name, random), hostname: clone.name }),
    'user-data': source['user-data'],
    'network-config': networkConfig(clone.mac, clone.extraNics),
  };
}

/**
 * Clones `sourceName` (which the caller holds the operation queue of) to a new instance. `holdTarget` runs
 * the making of the clone on the clone's own queue, so nothing else acts on it half made.
 * @returns the clone's record (Stopped)
 */
export async function cloneInstance(
  sourceName: string,
  requestedName: string | undefined,
  deps: CloneDeps,
  holdTarget: <T>(name: string, work: () => Promise<T>) => Promise<T>,
): Promise<InstanceRecord> {
  const source = deps.store.get(sourceName);
  if (source === undefined)
    throw new SkiffError('not-found', instanceMissing(sourceName), {
      details: { instance: sourceName },
    });
  const name = cloneName(sourceName, requestedName, (n) => deps.store.has(n));
  const sourceVm = deps.driver.instance(source.name);
  checkCloneSource(source, await sourceVm.power());
  const cloner = capability(deps.driver, 'clone', sourceVm.cloner);
  const seed = capability(deps.driver, 'reseed', sourceVm.seed);
  if (networkModeOf(source) === 'nat') requireNetwork(deps.network, name);
  // Checked and written in one tick: a launch or clone of the same name meanwhile now finds it taken.
  if (deps.store.has(name))
    throw new SkiffError('conflict', instanceExists(name), {
      details: { field: 'name' },
    });
  const record = cloneRecord(source, name, new Set(macsInUse(deps.store.all()).keys()), deps.clock.now());
  await deps.store.put(record);
  return holdTarget(name, async () => {
    const identity = instanceDir(deps.identityDir, name);
    try {
      await cloner.cloneTo(name, cloneSeed(await seed.read(), record));
      if (record.hostKey) await writeKnownHosts(identity, name, record.hostKey);
      return await deps.store.update(name, (r) => (r.launched = true));
    } catch (error) {
      await deps.driver
        .instance(name)
        .destroy()
        .catch(() => undefined);
      await removeGuestIdentity(identity);
      await deps.store.remove(name);
      throw error;
    }
  });
}
