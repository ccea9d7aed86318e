/**
 * @module DHCP reservations, pure: one per instance (name, MAC, IPv4), the address stable once given and
 * free again on release. Addresses are handed out lowest free first, from the second host of the subnet.
 */
import { SkiffError } from '../../core/errors.js';
import { formatSubnet, ipv4ToNumber, numberToIpv4, overlaps, subnetHosts, type Subnet } from './subnet.js';

export interface Reservation {
  /** The instance name; its DNS name is `<name>.skiff`. */
  name: string;
  /** Lowercase, colon-separated. */
  mac: string;
  ipv4: string;
}

/** A DNS label: what dnsmasq's files and guests' resolvers accept as a host name. */
const NAME = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/i;
const MAC = /^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/;

/** @throws SkiffError invalid-argument naming the field */
export function checkReservationInput(name: string, mac: string): { name: string; mac: string } {
  if (!NAME.test(name)) {
    throw new SkiffError(
      'invalid-argument',
      `name: "${name}" is not a valid host name for a DHCP reservation`,
      {
        details: { field: 'name', value: name },
      },
    );
  }
  const lower = mac.toLowerCase();
  // Multicast MACs (lowest bit of the first octet) are not NICs.
  if (!MAC.test(lower) || (parseInt(lower.slice(0, 2), 16) & 1) === 1) {
    throw new SkiffError('invalid-argument', `mac: "${mac}" is not a unicast MAC address`, {
      details: { field: 'mac', value: mac },
    });
  }
  return { name, mac: lower };
}

/**
 * The reservations after reserving `name` with `mac`: unchanged when it holds one (its MAC updated if it
 * changed, the address kept), else with a new one at the lowest free address.
 * @throws SkiffError conflict when another instance holds `mac`, or when the subnet is full
 */
export function reserve(
  current: readonly Reservation[],
  subnet: Subnet,
  name: string,
  mac: string,
): { reservations: Reservation[]; reservation: Reservation } {
  const other = current.find((r) => r.mac === mac && r.name !== name);
  if (other !== undefined) {
    throw new SkiffError('conflict', `MAC ${mac} is already reserved for instance "${other.name}"`, {
      details: { mac, instance: other.name },
    });
  }
  const held = current.find((r) => r.name === name);
  if (held !== undefined) {
    const reservation = { ...held, mac };
    return { reservations: current.map((r) => (r === held ? reservation : r)), reservation };
  }
  const taken = new Set(current.map((r) => ipv4ToNumber(r.ipv4)));
  const { first, last } = subnetHosts(subnet);
  for (let n = first; n <= last; n++) {
    if (taken.has(n)) continue;
    const reservation = { name, mac, ipv4: numberToIpv4(n) };
    return { reservations: [...current, reservation], reservation };
  }
  throw new SkiffError(
    'conflict',
    `skiff's network ${formatSubnet(subnet)} is full: all ${last - first + 1} guest addresses are reserved`,
    { details: { subnet: formatSubnet(subnet) } },
  );
}

/** The reservations without `name`'s (the same array when it had none). */
export function release(current: readonly Reservation[], name: string): Reservation[] {
  return current.filter((r) => r.name !== name);
}

/**
 * Moves reservations into a new subnet (the user changed `local.subnet`): each keeps its host number when that
 * is a guest address there, the rest get the lowest free ones; those that no longer fit are dropped.
 */
export function renumber(
  current: readonly Reservation[],
  from: Subnet,
  to: Subnet,
): { reservations: Reservation[]; dropped: Reservation[] } {
  const { first, last } = subnetHosts(to);
  const kept: Reservation[] = [];
  const moved: Reservation[] = [];
  const used = new Set<number>();
  for (const r of current) {
    const n = ipv4ToNumber(r.ipv4);
    const inOld = overlaps({ base: n, prefixLength: 32 }, from);
    const candidate = inOld ? to.base + (n - from.base) : n;
    if (candidate >= first && candidate <= last && !used.has(candidate)) {
      used.add(candidate);
      kept.push({ ...r, ipv4: numberToIpv4(candidate) });
    } else moved.push(r);
  }
  let reservations = kept;
  const dropped: Reservation[] = [];
  for (const r of moved) {
    try {
      reservations = reserve(reservations, to, r.name, r.mac).reservations;
    } catch {
      dropped.push(r);
    }
  }
  return { reservations, dropped };
}
