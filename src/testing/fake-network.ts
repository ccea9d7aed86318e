/**
 * @module An in-memory ManagedNetwork for service tests: addresses 10.9.9.2, .3, ... kept per instance name,
 * and a count of how often the network was brought up.
 */
import { SkiffError } from '../core/errors.js';
import type { ManagedNetwork } from '../services/instances/ports.js';

export class FakeNetwork implements ManagedNetwork {
  readonly bridge = 'fakebr0';
  ensured = 0;
  readonly reservations = new Map<string, { mac: string; ipv4: string }>();
  /** What the DHCP leases say, by lowercase MAC (tests fill it). */
  readonly leaseTable = new Map<string, string[]>();
  private next = 2;

  async ensure(): Promise<{ bridge: string }> {
    this.ensured += 1;
    return { bridge: this.bridge };
  }

  async reserve(name: string, mac: string): Promise<string> {
    if (this.ensured === 0) throw new SkiffError('internal', 'fake network: reserve before ensure');
    const kept = this.reservations.get(name);
    if (kept) return kept.ipv4;
    const ipv4 = `10.9.9.${this.next++}`;
    this.reservations.set(name, { mac, ipv4 });
    return ipv4;
  }

  async release(name: string): Promise<void> {
    this.reservations.delete(name);
  }

  async leases(): Promise<ReadonlyMap<string, string[]>> {
    return this.leaseTable;
  }
}
