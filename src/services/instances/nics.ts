/**
 * @module Which NICs an instance boots with: the primary one on skiff's NAT bridge (with the address SSH
 * then uses) or on the driver's user-mode network, as its record says.
 */
import { SkiffError } from '../../core/errors.js';
import { nicsFor } from './extra-nics.js';
import type { ManagedNetwork, NicSpec } from './ports.js';
import type { InstanceRecord, NetworkMode } from './store.js';

export interface BootNics {
  nics: NicSpec[];
  /** The guest's address on the bridge, where SSH answers (NAT mode only). */
  sshAddress?: string;
}

/** The mode an instance's primary NIC uses; records from before networks are user-mode. */
export function networkModeOf(record: Pick<InstanceRecord, 'network'>): NetworkMode {
  return record.network?.mode ?? 'user';
}

/** @throws SkiffError unsupported when NAT mode is asked of a daemon that runs no managed network */
export function requireNetwork(network: ManagedNetwork | undefined, name: string): ManagedNetwork {
  if (network !== undefined) return network;
  throw new SkiffError(
    'unsupported',
    `"${name}" needs skiff's NAT network, which only a skiffd running as root provides ` +
      '(or choose user-mode networking: skiff set local.network-mode=user)',
  );
}

/**
 * The NICs for a boot of `record`, its extra NICs (`--network`) after the primary one: NAT mode brings skiff's
 * network up (or re-adopts it) and keeps the instance's reserved address.
 * @returns the NICs, and for NAT mode the address SSH uses
 */
export async function bootNics(
  record: Pick<InstanceRecord, 'name' | 'mac' | 'network' | 'extraNics'>,
  network: ManagedNetwork | undefined,
): Promise<BootNics> {
  if (networkModeOf(record) === 'user') return { nics: nicsFor(record, { kind: 'user' }) };
  const managed = requireNetwork(network, record.name);
  const { bridge } = await managed.ensure();
  const sshAddress = await managed.reserve(record.name, record.mac);
  return { nics: nicsFor(record, { kind: 'bridge', bridge }), sshAddress };
}
