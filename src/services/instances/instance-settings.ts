/**
 * @module Per-instance settings, Multipass's `local.NAME.cpus|memory|disk|bridged`, read and changed through
 * `skiff get/set`. Changes need a stopped instance and take effect at its next start: cpus and memory are its
 * record's; the disk grows at once (never shrinks) and the guest grows its filesystem at the next boot;
 * `bridged=true` adds a NIC on `local.bridged-network` and gives the seed a new instance-id, so cloud-init
 * configures that NIC at the next boot (Multipass does the same). Messages are Multipass's.
 */
import { totalmem } from 'node:os';
import { SkiffError } from '../../core/errors.js';
import { invalidSetting, unrecognizedSettingsKey } from '../../core/messages.js';
import { BRIDGED, checkExtraNics, macsInUse } from './extra-nics.js';
import { capability, type HostNetworks, type VmDriver, type VmPower } from './ports.js';
import { metaData, networkConfig, newInstanceId } from './seed/cloud-init.js';
import { formatSize, launchSizes } from './spec.js';
import type { InstanceRecord, InstanceStore } from './store.js';

/** The per-instance properties, in the order `get --keys` lists them. */
export const INSTANCE_PROPERTIES = ['bridged', 'cpus', 'disk', 'memory'] as const;
export type InstanceProperty = (typeof INSTANCE_PROPERTIES)[number];

/** `local.NAME.PROPERTY`; instance names hold no dot, so the name is everything between the first and last. */
const KEY = /^local\.([^.]+)\.(bridged|cpus|disk|memory)$/;

export interface InstanceSettingsDeps {
  store: InstanceStore;
  driver: VmDriver;
  hostNetworks: HostNetworks;
  /** The `local.bridged-network` setting ('' when unset). */
  bridgedNetwork: () => string;
  /** Runs `work` on `name`'s operation queue (after every earlier operation on it). */
  exclusive: <T>(name: string, work: () => Promise<T>) => Promise<T>;
  /** The host's memory, which memory may not exceed (default: this host's). */
  hostMemoryBytes?: number;
}

/** Multipass's InstanceSettingsException. */
const refused = (
  operation: 'obtain' | 'update',
  name: string,
  reason: string,
  code: 'not-found' | 'conflict',
) =>
  new SkiffError(code, `Cannot ${operation} instance settings; instance: ${name}; reason: ${reason}`, {
    details: { instance: name },
  });

/** Multipass's InvalidSettingException. */
const invalid = (key: string, value: string, why: string) =>
  new SkiffError('invalid-argument', invalidSetting(key, value, why), {
    details: { field: key },
  });

/** Multipass's boolean setting values. */
function parseBool(key: string, value: string): boolean {
  const v = value.toLowerCase();
  if (['true', 'on', 'yes', '1'].includes(v)) return true;
  if (['false', 'off', 'no', '0'].includes(v)) return false;
  throw invalid(key, value, 'Invalid flag, need "true" or "false"');
}

export class InstanceSettings {
  constructor(private readonly deps: InstanceSettingsDeps) {}

  /** Whether `key` is a per-instance key (of any instance, existing or not). */
  owns(key: string): boolean {
    return KEY.test(key);
  }

  /** Every per-instance key of every instance, sorted. */
  keys(): string[] {
    return this.deps.store
      .all()
      .flatMap((r) => INSTANCE_PROPERTIES.map((p) => `local.${r.name}.${p}`))
      .sort();
  }

  /** The value `get` shows. @throws SkiffError not-found for an instance that does not exist */
  get(key: string): string {
    const [name, property] = this.parse(key);
    const record = this.deps.store.get(name);
    if (record === undefined) throw refused('obtain', name, 'No such instance', 'not-found');
    switch (property) {
      case 'bridged':
        return String(this.isBridged(record));
      case 'cpus':
        return String(record.cpus);
      case 'disk':
        return formatSize(record.diskBytes);
      case 'memory':
        return formatSize(record.memoryBytes);
      default: {
        const never: never = property;
        return never;
      }
    }
  }

  /**
   * Changes one property of a stopped instance, on its operation queue. Invalid input changes nothing.
   * @returns the value `get` now shows
   * @throws SkiffError not-found, conflict (not stopped, deleted), invalid-argument (Multipass's words)
   */
  async set(key: string, value: string): Promise<string> {
    const [name, property] = this.parse(key);
    if (!this.deps.store.has(name)) throw refused('update', name, 'No such instance', 'not-found');
    return this.deps.exclusive(name, async () => {
      const record = this.deps.store.get(name);
      if (record === undefined) throw refused('update', name, 'No such instance', 'not-found');
      if (!record.launched) throw refused('update', name, 'instance is being prepared', 'conflict');
      if (record.state === 'Deleted') throw refused('update', name, 'Instance is deleted', 'conflict');
      const vm = this.deps.driver.instance(name);
      const power: VmPower = await vm.power();
      if (record.state !== 'Stopped' || power !== 'stopped')
        throw refused('update', name, 'Instance must be stopped for modification', 'conflict');
      switch (property) {
        case 'cpus':
          await this.update(name, { cpus: this.size(key, value, 'cpus').cpus });
          break;
        case 'memory':
          await this.update(name, { memoryBytes: this.size(key, value, 'memory').memoryBytes });
          break;
        case 'disk': {
          const { diskBytes } = this.size(key, value, 'disk');
          const current = Math.max(record.diskBytes, (await vm.disk()).virtualBytes);
          if (diskBytes < current) throw invalid(key, value, 'Disk can only be expanded');
          if (diskBytes > current) await capability(this.deps.driver, 'resize', vm.resizer).grow(diskBytes);
          await this.update(name, { diskBytes: Math.max(diskBytes, current) });
          break;
        }
        case 'bridged':
          await this.setBridged(key, value, record);
          break;
        default: {
          const never: never = property;
          return never;
        }
      }
      return this.get(key);
    });
  }

  private parse(key: string): [string, InstanceProperty] {
    const match = KEY.exec(key);
    if (match === null) throw new SkiffError('invalid-argument', unrecognizedSettingsKey(key));
    return [match[1]!, match[2] as InstanceProperty];
  }

  /** Launch's checks of one size (minimums, maximums, the host's memory), in Multipass's words. */
  private size(key: string, value: string, field: 'cpus' | 'memory' | 'disk') {
    // Number() would also read `0x10` and `1e1`.
    if (field === 'cpus' && !/^\d+$/.test(value))
      throw invalid(key, value, 'Need a positive integer (in decimal format) of minimum 1');
    try {
      return launchSizes({ [field]: value }, { memoryBytes: this.deps.hostMemoryBytes ?? totalmem() });
    } catch (error) {
      const problems = (error as SkiffError).details?.problems;
      const why = Array.isArray(problems) ? problems.join('; ') : (error as Error).message;
      // Launch names its option (`--memory: ...`, `... (--memory)`); here the key says which.
      throw invalid(key, value, why.replace(/^--\w+: /, '').replace(/ \(--\w+\)$/, ''));
    }
  }

  private async update(name: string, change: Partial<InstanceRecord>): Promise<void> {
    await this.deps.store.update(name, (r) => Object.assign(r, change));
  }

  /** Whether `record` has a NIC on the `local.bridged-network` interface. */
  private isBridged(record: InstanceRecord): boolean {
    const bridged = this.deps.bridgedNetwork();
    return bridged !== '' && (record.extraNics ?? []).some((nic) => nic.host === bridged);
  }

  /** true adds a NIC on `local.bridged-network` (once); false is accepted only when there is none. */
  private async setBridged(key: string, value: string, record: InstanceRecord): Promise<void> {
    const want = parseBool(key, value);
    if (this.isBridged(record) === want) return;
    if (!want) throw invalid(key, value, 'Removing the bridged network is currently not supported');
    const [nic] = checkExtraNics([{ name: BRIDGED }], {
      interfaces: await this.deps.hostNetworks.list(),
      bridgedNetwork: this.deps.bridgedNetwork(),
      macsInUse: macsInUse(this.deps.store.all()),
    });
    if (!this.deps.driver.features.extraNics) throw capability(this.deps.driver, 'extraNics', undefined);
    const seed = capability(this.deps.driver, 'reseed', this.deps.driver.instance(record.name).seed);
    const extraNics = [...(record.extraNics ?? []), nic!];
    // The seed first: a crash before the record leaves a NIC configured in the guest that QEMU never adds,
    // which cloud-init skips (`optional`); the other order would add a NIC nothing configures.
    const current = await seed.read();
    await seed.write({
      ...current,
      'meta-data': metaData({ instanceId: newInstanceId(record.name), hostname: record.name }),
      'network-config': networkConfig(record.mac, extraNics),
    });
    await this.update(record.name, { extraNics });
  }
}
