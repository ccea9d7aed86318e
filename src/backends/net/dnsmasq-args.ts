/**
 * @module dnsmasq's command line for skiff's bridge, pure (a value, tested whole): DHCP reservations only,
 * DNS for `NAME.skiff` plus forwarding to the host's resolvers, bound to the bridge's address alone.
 */
import type { DnsDhcpConfig } from '../../services/network/ports.js';

/** Where dnsmasq keeps and reads its files. */
export interface DnsmasqPaths {
  pidFile: string;
  leaseFile: string;
  /** `MAC,IPv4,NAME` lines, re-read on SIGHUP. */
  hostsFile: string;
  /** `IPv4 NAME.DOMAIN NAME` lines, re-read on SIGHUP. */
  addnHostsFile: string;
  /** The host's resolver list, forwarded to for every name outside the domain. */
  resolvFile: string;
}

/** How long a lease lasts; a guest renews at half of it and always gets its reserved address back. */
export const LEASE_TIME = '1h';

/** `a.b.c.d/n` → the network address and the dotted netmask. */
function networkOf(subnet: string): { base: string; mask: string } {
  const [base = '', length = '32'] = subnet.split('/');
  const mask = 2 ** 32 - 2 ** (32 - Number(length));
  return { base, mask: [24, 16, 8, 0].map((shift) => Math.floor(mask / 2 ** shift) % 256).join('.') };
}

/** The arguments after the program name. */
export function dnsmasqArgs(config: DnsDhcpConfig, paths: DnsmasqPaths): string[] {
  const { base, mask } = networkOf(config.subnet);
  return [
    // skiff spawns it detached itself: no double fork, so its pid is known at once and its exit seen.
    '--keep-in-foreground',
    // No /etc/dnsmasq.conf or /etc/dnsmasq.d: a system dnsmasq's configuration must not leak in.
    '--conf-file=/dev/null',
    '--log-facility=-',
    `--pid-file=${paths.pidFile}`,
    // Only the bridge's address: a resolver the host runs on port 53 (systemd-resolved, a system dnsmasq)
    // keeps its sockets, and nothing answers on other interfaces.
    '--bind-interfaces',
    `--interface=${config.bridge}`,
    '--except-interface=lo',
    `--listen-address=${config.gateway}`,
    `--domain=${config.domain}`,
    // Names in the domain are answered here or not at all, never asked upstream.
    `--local=/${config.domain}/`,
    // Bare names (no dot) are not sent upstream either.
    '--domain-needed',
    // The host's /etc/hosts (127.0.1.1 for its own name, ...) means nothing to guests.
    '--no-hosts',
    // dnsmasq runs on the host, so a loopback upstream (127.0.0.53 of systemd-resolved) works as well as any;
    // it polls the file and follows the host's resolver changes.
    `--resolv-file=${paths.resolvFile}`,
    `--addn-hosts=${paths.addnHostsFile}`,
    `--dhcp-hostsfile=${paths.hostsFile}`,
    // Static: only reserved MACs get an address, so no dynamic lease can take one a later reservation needs.
    `--dhcp-range=${base},static,${mask},${LEASE_TIME}`,
    `--dhcp-leasefile=${paths.leaseFile}`,
    // The only DHCP server on the bridge: a guest's renewal after a lost leases file is answered at once.
    '--dhcp-authoritative',
  ];
}
