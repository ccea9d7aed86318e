/**
 * @module What skiff's network keeps on disk (`network/network.json`, atomic, schema-versioned, the previous
 * version kept as `.bak`): the bridge, the subnet chosen at first start, and the reservations. Loading drops a
 * bad reservation (saying which) and never fails on bad content (persist/state-file.ts).
 */
import { join } from 'node:path';
import { SkiffError } from '../../core/errors.js';
import { loadStateFile, writeStateFile, type Decoded, type StateLoad } from '../persist/state-file.js';
import { checkReservationInput, type Reservation } from './reservations.js';
import { formatSubnet, ipv4ToNumber, overlaps, parseCidr } from './subnet.js';

const SCHEMA = 1;

export interface NetworkState {
  bridge: string;
  /** `a.b.c.0/24`. */
  subnet: string;
  /** `auto`: picked to avoid the host's routes; `explicit`: from the `local.subnet` setting. */
  origin: 'auto' | 'explicit';
  reservations: Reservation[];
}

/** The state file of the network whose files live in `dir`. */
export const stateFilePath = (dir: string): string => join(dir, 'network.json');

export function saveNetworkState(dir: string, state: NetworkState): Promise<void> {
  return writeStateFile(stateFilePath(dir), SCHEMA, state);
}

export function loadNetworkState(dir: string, now: number): Promise<StateLoad<NetworkState>> {
  return loadStateFile({ path: stateFilePath(dir), schema: SCHEMA, decode: decodeNetworkState, now });
}

/** @throws SkiffError when the data as a whole is unusable; drops (and names) reservations that are not. */
export function decodeNetworkState(data: unknown): Decoded<NetworkState> {
  const bad = (why: string): SkiffError => new SkiffError('internal', `network state: ${why}`);
  if (typeof data !== 'object' || data === null || Array.isArray(data)) throw bad('expected an object');
  const { bridge, subnet, origin, reservations } = data as Record<string, unknown>;
  if (typeof bridge !== 'string' || bridge === '') throw bad('bridge: expected a name');
  const parsed = typeof subnet === 'string' ? parseCidr(subnet) : null;
  if (parsed === null || formatSubnet(parsed) !== subnet) throw bad('subnet: expected a.b.c.d/n');
  if (origin !== 'auto' && origin !== 'explicit') throw bad('origin: expected auto or explicit');
  if (!Array.isArray(reservations)) throw bad('reservations: expected an array');
  const kept: Reservation[] = [];
  const dropped: string[] = [];
  reservations.forEach((entry: unknown, index) => {
    const problem = reservationProblem(entry, kept, parsed.base, parsed.prefixLength);
    if (problem === null) kept.push(entry as Reservation);
    else dropped.push(`dropped reservation ${index}: ${problem}`);
  });
  return { value: { bridge, subnet, origin, reservations: kept }, dropped };
}

function reservationProblem(
  entry: unknown,
  kept: Reservation[],
  base: number,
  prefixLength: number,
): string | null {
  if (typeof entry !== 'object' || entry === null) return 'not an object';
  const { name, mac, ipv4 } = entry as Record<string, unknown>;
  if (typeof name !== 'string' || typeof mac !== 'string' || typeof ipv4 !== 'string') {
    return 'name, mac and ipv4 must be strings';
  }
  try {
    if (checkReservationInput(name, mac).mac !== mac) return `mac ${mac} is not lowercase`;
  } catch (error) {
    return (error as Error).message;
  }
  const n = ipv4ToNumber(ipv4);
  if (Number.isNaN(n) || !overlaps({ base: n, prefixLength: 32 }, { base, prefixLength })) {
    return `${name}: ${ipv4} is not in the subnet`;
  }
  const clash = kept.find((r) => r.name === name || r.mac === mac || r.ipv4 === ipv4);
  return clash === undefined ? null : `${name}: duplicates the reservation of ${clash.name}`;
}
