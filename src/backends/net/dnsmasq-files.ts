/**
 * @module The files dnsmasq shares with skiff, pure: the DHCP hosts file and the additional hosts file it reads
 * (reservations), and the leases file it writes (`EXPIRY MAC IPV4 HOSTNAME CLIENT-ID` per line).
 */
import type { Reservation } from '../../services/network/ports.js';

const NAME = /^[A-Za-z0-9-]{1,63}$/;
const MAC = /^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/;
const IPV4 = /^\d{1,3}(\.\d{1,3}){3}$/;

function checked(r: Reservation): Reservation {
  // The service checked these; a line break here would add a line of the caller's choosing, so check again.
  if (!NAME.test(r.name) || !MAC.test(r.mac) || !IPV4.test(r.ipv4)) {
    throw new Error(`reservation ${JSON.stringify(r)} is not fit for dnsmasq's files`);
  }
  return r;
}

/** `--dhcp-hostsfile`: `MAC,IPV4,NAME`, one reservation a line. */
export function dhcpHostsFile(reservations: readonly Reservation[]): string {
  return reservations
    .map((r) => checked(r))
    .map((r) => `${r.mac},${r.ipv4},${r.name}\n`)
    .join('');
}

/** `--addn-hosts`: `IPV4 NAME.DOMAIN NAME`, so names resolve before the guest's first lease. */
export function addnHostsFile(reservations: readonly Reservation[], domain: string): string {
  return reservations
    .map((r) => checked(r))
    .map((r) => `${r.ipv4} ${r.name}.${domain} ${r.name}\n`)
    .join('');
}

/**
 * The leases file → IPv4 addresses by lowercase MAC. Lines that are not IPv4 leases (the `duid` line and
 * DHCPv6 leases) and leases expired at `nowSec` (0 = never expires) are skipped; garbage never throws.
 */
export function parseLeases(text: string, nowSec?: number): Map<string, string[]> {
  const leases = new Map<string, string[]>();
  for (const line of text.split('\n')) {
    const [expiry, mac, ipv4] = line.trim().split(/\s+/);
    if (expiry === undefined || mac === undefined || ipv4 === undefined) continue;
    const lower = mac.toLowerCase();
    if (!/^\d+$/.test(expiry) || !MAC.test(lower) || !IPV4.test(ipv4)) continue;
    const expires = Number(expiry);
    if (nowSec !== undefined && expires !== 0 && expires < nowSec) continue;
    const list = leases.get(lower) ?? [];
    if (!list.includes(ipv4)) list.push(ipv4);
    leases.set(lower, list);
  }
  return leases;
}
