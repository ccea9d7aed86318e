/**
 * @module What skiff's NAT network service needs from the OS: the host's addresses and routes, the bridge,
 * the DHCP/DNS server (dnsmasq), and the NAT table with forwarding. Backends (backends/net/) implement these;
 * the service never imports them.
 */
import type { Reservation } from './reservations.js';

export type { Reservation } from './reservations.js';

/** An IPv4 prefix the host uses: the network of one of its addresses, or a route's destination. */
export interface HostPrefix {
  /** `a.b.c.d/n`; never a default route. */
  cidr: string;
  /** The interface it is on, when there is one. */
  dev?: string;
  kind: 'address' | 'route';
}

/** The host's IPv4 addresses and routes (all tables), read fresh on each call. */
export interface HostAddressing {
  usedPrefixes(): Promise<HostPrefix[]>;
}

/** A Linux bridge with one IPv4 address. */
export interface BridgeLink {
  /**
   * Creates the bridge or adopts an existing one, makes `address` (`a.b.c.d/n`) its only IPv4 address and
   * sets it up. @returns what had to change. @throws SkiffError conflict when `name` exists and is no bridge
   */
  ensure(name: string, address: string): Promise<{ created: boolean; readdressed: boolean }>;
  /** Whether a link called `name` exists. */
  exists(name: string): Promise<boolean>;
  /** The links enslaved to the bridge (guests' taps), empty when it does not exist. */
  ports(name: string): Promise<string[]>;
  /** Deletes the bridge. @returns false when there was none */
  remove(name: string): Promise<boolean>;
}

/** How the DHCP/DNS server is to run. */
export interface DnsDhcpConfig {
  bridge: string;
  /** The bridge's address, where DNS answers. */
  gateway: string;
  /** `a.b.c.d/n`. */
  subnet: string;
  /** Names are `<instance>.<domain>`. */
  domain: string;
}

/** What ensure() found or did. */
export type DnsDhcpOutcome =
  | { action: 'adopted'; pid: number }
  /** `why` says what was wrong with what ran before (nothing ran, it died, its configuration differs). */
  | { action: 'started'; pid: number; why: string };

/** The DHCP and DNS server of the bridge; it outlives the daemon and is re-adopted by the next one. */
export interface DnsDhcpServer {
  /** Adopts the running server when it is ours and runs `config`, else (re)starts it. */
  ensure(config: DnsDhcpConfig): Promise<DnsDhcpOutcome>;
  /** The pid of our running server, or null. Never throws. */
  running(): Promise<number | null>;
  /** Writes the reservations (DHCP hosts and DNS names) and has a running server re-read them. */
  setReservations(reservations: readonly Reservation[], domain: string): Promise<void>;
  /** The addresses leased now, by lowercase MAC. Never throws. */
  leases(): Promise<Map<string, string[]>>;
  /** Stops our server; `removeFiles` also removes the files it re-reads. @returns its pid, or null when none ran */
  stop(options?: { removeFiles?: boolean }): Promise<number | null>;
}

/** skiff's own NAT table and the forwarding it needs. */
export interface NatFirewall {
  /** Creates or replaces the table, as one transaction, and turns IPv4 forwarding on. */
  apply(config: { bridge: string; subnet: string }): Promise<void>;
  /** Deletes skiff's table alone. @returns false when there was none */
  remove(): Promise<boolean>;
}
