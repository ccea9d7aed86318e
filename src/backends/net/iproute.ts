/**
 * @module The host's addresses, routes and skiff's bridge, through iproute2 (`ip -j`, parsed and checked).
 */
import { SkiffError } from '../../core/errors.js';
import type { BridgeLink, HostAddressing, HostPrefix } from '../../services/network/ports.js';
import { runTool } from './command.js';
import { parseAddresses, parseLinkKinds, parseLinkNames, parseRoutes } from './ip-json.js';

const ip = (args: string[], doing: string): Promise<string> => runTool('ip', args, { doing });

/** The host's IPv4 address networks and route destinations, from every routing table (VPNs use their own). */
export class IpHostAddressing implements HostAddressing {
  async usedPrefixes(): Promise<HostPrefix[]> {
    const [addrs, routes] = await Promise.all([
      ip(['-j', '-4', 'addr', 'show'], 'reading the host addresses'),
      ip(['-j', '-4', 'route', 'show', 'table', 'all'], 'reading the host routes'),
    ]);
    const fromAddresses = parseAddresses(addrs).flatMap(({ ifname, inet }) =>
      inet.map((cidr) => ({ cidr, dev: ifname, kind: 'address' as const })),
    );
    return [...fromAddresses, ...parseRoutes(routes)];
  }
}

/** skiff's bridge, made and checked with `ip`. */
export class IpBridgeLink implements BridgeLink {
  async ensure(name: string, address: string): Promise<{ created: boolean; readdressed: boolean }> {
    const link = await this.#kind(name);
    if (link !== null && link.kind !== 'bridge') {
      throw new SkiffError(
        'conflict',
        `${name} exists and is not a bridge (it is ${link.kind ?? 'a plain device'}): remove it or choose another bridge name`,
        { details: { bridge: name, kind: link.kind } },
      );
    }
    const created = link === null;
    if (created) await ip(['link', 'add', 'name', name, 'type', 'bridge'], `creating bridge ${name}`);
    const [own] = parseAddresses(await ip(['-j', '-4', 'addr', 'show', 'dev', name], `reading ${name}`));
    const current = own?.inet ?? [];
    const readdressed = !(current.length === 1 && current[0] === address);
    if (readdressed) {
      // Any other IPv4 address on skiff's bridge is stale (an old subnet) or someone else's mistake.
      if (current.length > 0)
        await ip(['-4', 'addr', 'flush', 'dev', name], `clearing the addresses of ${name}`);
      await ip(['addr', 'add', address, 'dev', name], `giving ${name} the address ${address}`);
    }
    await ip(['link', 'set', name, 'up'], `setting ${name} up`);
    return { created, readdressed: readdressed && !created };
  }

  async exists(name: string): Promise<boolean> {
    return (await this.#kind(name)) !== null;
  }

  async ports(name: string): Promise<string[]> {
    if (!(await this.exists(name))) return [];
    return parseLinkNames(await ip(['-j', 'link', 'show', 'master', name], `listing the ports of ${name}`));
  }

  async remove(name: string): Promise<boolean> {
    if (!(await this.exists(name))) return false;
    await ip(['link', 'del', name], `deleting bridge ${name}`);
    return true;
  }

  /** The link's kind, or null when it does not exist (listing all links: no error text to interpret). */
  async #kind(name: string): Promise<{ kind: string | null } | null> {
    const kinds = parseLinkKinds(await ip(['-j', '-d', 'link', 'show'], 'listing the network links'));
    return kinds.has(name) ? { kind: kinds.get(name) ?? null } : null;
  }
}
