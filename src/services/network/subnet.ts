/**
 * @module IPv4 subnets for skiff's NAT network, pure: parsing and validating a CIDR, overlap tests, the
 * deterministic candidate sequence and the picker that skips every candidate the host already uses.
 */
import { createHash } from 'node:crypto';
import { SkiffError } from '../../core/errors.js';

/** An IPv4 prefix: `base` is the network address as an unsigned 32-bit number. */
export interface Subnet {
  base: number;
  prefixLength: number;
}

const PRIVATE: readonly Subnet[] = [
  { base: ipv4ToNumber('10.0.0.0'), prefixLength: 8 },
  { base: ipv4ToNumber('172.16.0.0'), prefixLength: 12 },
  { base: ipv4ToNumber('192.168.0.0'), prefixLength: 16 },
];
/** Prefix lengths accepted for an explicit subnet: at least a few guests, at most a private /16. */
export const MIN_PREFIX = 16;
export const MAX_PREFIX = 28;

/** `a.b.c.d` → number, or NaN when it is not a dotted quad of 0-255 without leading zeros. */
export function ipv4ToNumber(text: string): number {
  const parts = text.split('.');
  if (parts.length !== 4 || !parts.every((p) => /^(0|[1-9]\d{0,2})$/.test(p) && Number(p) <= 255)) {
    return Number.NaN;
  }
  return parts.reduce((n, p) => n * 256 + Number(p), 0);
}

export function numberToIpv4(n: number): string {
  return [24, 16, 8, 0].map((shift) => Math.floor(n / 2 ** shift) % 256).join('.');
}

const size = (s: Subnet): number => 2 ** (32 - s.prefixLength);
const maskBase = (address: number, prefixLength: number): number =>
  address - (address % 2 ** (32 - prefixLength));

/** `a.b.c.d/n` (or a bare address, as /32) → the prefix containing it, or null when malformed. */
export function parseCidr(text: string): Subnet | null {
  const [address, length, ...rest] = text.split('/');
  const n = ipv4ToNumber(address ?? '');
  const prefixLength = length === undefined ? 32 : /^\d{1,2}$/.test(length) ? Number(length) : NaN;
  if (rest.length > 0 || Number.isNaN(n) || !(prefixLength >= 0 && prefixLength <= 32)) return null;
  return { base: maskBase(n, prefixLength), prefixLength };
}

export function formatSubnet(s: Subnet): string {
  return `${numberToIpv4(s.base)}/${s.prefixLength}`;
}

/** True when the two prefixes share at least one address. */
export function overlaps(a: Subnet, b: Subnet): boolean {
  return a.base < b.base + size(b) && b.base < a.base + size(a);
}

const within = (inner: Subnet, outer: Subnet): boolean =>
  inner.prefixLength >= outer.prefixLength && maskBase(inner.base, outer.prefixLength) === outer.base;

/** The gateway (first host, `.1` of a /24) and the range guests get (the second host to the last one). */
export function subnetHosts(s: Subnet): { gateway: string; first: number; last: number } {
  return { gateway: numberToIpv4(s.base + 1), first: s.base + 2, last: s.base + size(s) - 2 };
}

/** The dotted netmask of a prefix (`255.255.255.0` for a /24). */
export function netmask(s: Subnet): string {
  return numberToIpv4(2 ** 32 - size(s));
}

/**
 * Parses an explicit subnet (the `local.subnet` setting): a private IPv4 network address with a prefix of
 * /16 to /28. @throws SkiffError invalid-argument naming `field`
 */
export function validateSubnet(text: string, field = 'local.subnet'): Subnet {
  const bad = (why: string): SkiffError =>
    new SkiffError('invalid-argument', `${field}: "${text}" ${why}`, { details: { field, value: text } });
  if (!/^[\d.]+\/\d{1,2}$/.test(text)) throw bad('is not an IPv4 subnet such as 10.42.7.0/24');
  const subnet = parseCidr(text);
  if (subnet === null) throw bad('is not an IPv4 subnet such as 10.42.7.0/24');
  if (subnet.prefixLength < MIN_PREFIX || subnet.prefixLength > MAX_PREFIX) {
    throw bad(`must have a prefix length from /${MIN_PREFIX} to /${MAX_PREFIX}`);
  }
  if (formatSubnet(subnet) !== text)
    throw bad(`is not a network address (did you mean ${formatSubnet(subnet)}?)`);
  if (!PRIVATE.some((p) => within(subnet, p))) {
    throw bad('is not private (10.0.0.0/8, 172.16.0.0/12 or 192.168.0.0/16)');
  }
  return subnet;
}

/** How many candidates of each private range the picker tries before giving up. */
export const CANDIDATES_PER_RANGE = { ten: 48, oneSevenTwo: 8, oneNineTwo: 8 } as const;

/**
 * The /24 candidates in the order they are tried: the same for a given seed on every host and every start
 * (so a test can predict them), spread over 10.0.0.0/8 first, then 172.16.0.0/12, then 192.168.0.0/16.
 * 10.0.y and 10.255.y are left out: they are the first ones people number their own networks with.
 */
export function subnetCandidates(seed: string, perRange = CANDIDATES_PER_RANGE): Subnet[] {
  const out: Subnet[] = [];
  const seen = new Set<number>();
  let counter = 0;
  const next = (): [number, number] => {
    const digest = createHash('sha256').update(`${seed}:${counter++}`).digest();
    return [digest[0] ?? 0, digest[1] ?? 0];
  };
  const draw = (count: number, make: (a: number, b: number) => number | null): void => {
    for (let added = 0, tries = 0; added < count && tries < count * 20; tries++) {
      const base = make(...next());
      if (base === null || seen.has(base)) continue;
      seen.add(base);
      out.push({ base, prefixLength: 24 });
      added++;
    }
  };
  draw(perRange.ten, (a, b) => (a === 0 || a === 255 ? null : ipv4ToNumber(`10.${a}.${b}.0`)));
  draw(perRange.oneSevenTwo, (a, b) => ipv4ToNumber(`172.${16 + (a % 16)}.${b}.0`));
  draw(perRange.oneNineTwo, (_a, b) => (b === 0 || b === 1 ? null : ipv4ToNumber(`192.168.${b}.0`)));
  return out;
}

/**
 * The first candidate that overlaps none of `used` (the host's address networks and route destinations).
 * A default route (0.0.0.0/0) says where to send what matches nothing else, not which addresses are taken:
 * callers leave it out, and it is ignored here too. @throws SkiffError conflict when every candidate is taken
 */
export function pickSubnet(used: readonly Subnet[], candidates: readonly Subnet[]): Subnet {
  const taken = used.filter((u) => u.prefixLength > 0);
  const free = candidates.find((c) => !taken.some((u) => overlaps(c, u)));
  if (free === undefined) {
    throw new SkiffError(
      'conflict',
      `no free private subnet for skiff's network: all ${candidates.length} candidates overlap an address or route of this host; choose one with local.subnet`,
      { details: { candidates: candidates.length } },
    );
  }
  return free;
}
