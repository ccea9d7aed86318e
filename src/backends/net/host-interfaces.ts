/**
 * @module Which host interfaces can carry a guest's extra NIC, from `ip -j -d link` (pure). As Multipass on
 * Linux: bridges (type `bridge`: the NIC is a tap on it) and ethernet devices (type `ethernet`: a macvtap on
 * it). Physical NICs count, and so do veth (a container's own link), VLAN and bond devices, since a macvtap
 * works on each. Left out: loopback; wireless NICs (a Wi-Fi station sends only its own MAC, so a macvtap's
 * frames go nowhere); anything already enslaved to a bridge or bond (the kernel refuses a macvtap there, and its
 * bridge is listed instead); taps, macvtaps, tunnels and other virtual kinds; names skiff does not accept
 * (core/interface-name.ts); and the names the caller excludes (skiff's own bridge).
 */
import { isInterfaceName } from '../../core/interface-name.js';
import type { HostInterface } from '../../services/instances/ports.js';

/** The fields of one `ip -j -d link` entry that classification reads. */
export interface IpLink {
  ifindex: number;
  ifname: string;
  link_type?: string;
  /** The bridge or bond this interface is a port of. */
  master?: string;
  /** A VLAN's parent (or a veth's peer, when in the same namespace). */
  link?: string;
  linkinfo?: { info_kind?: string; info_data?: { id?: number } };
}

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** The entries of `ip -j -d link` output; entries without a name or index are skipped. @throws on non-JSON */
export function parseIpLinks(json: string): IpLink[] {
  const raw: unknown = JSON.parse(json);
  if (!Array.isArray(raw)) throw new Error('expected a JSON list');
  return raw.filter(
    (entry): entry is IpLink =>
      isObject(entry) && typeof entry.ifname === 'string' && typeof entry.ifindex === 'number',
  );
}

/** The description of an ethernet-like interface, or null when a macvtap cannot use it. */
function ethernetDescription(link: IpLink, all: readonly IpLink[]): string | null {
  if (link.link_type !== 'ether') return null;
  const kind = link.linkinfo?.info_kind;
  switch (kind) {
    case undefined:
      return 'Ethernet device';
    case 'veth':
      return 'Virtual Ethernet device';
    case 'vlan': {
      const id = link.linkinfo?.info_data?.id;
      return id === undefined || link.link === undefined ? 'VLAN device' : `VLAN ${id} on ${link.link}`;
    }
    case 'bond': {
      const members = all.filter((l) => l.master === link.ifname).map((l) => l.ifname);
      return members.length === 0 ? 'Bond device' : `Bond of ${members.join(', ')}`;
    }
    default:
      return null;
  }
}

/** Interfaces listed for `--network`, sorted by name; `wireless` names the Wi-Fi NICs (from sysfs). */
export function classifyLinks(
  links: readonly IpLink[],
  options: { exclude: ReadonlySet<string>; wireless: ReadonlySet<string> },
): HostInterface[] {
  const ethernet = (link: IpLink) =>
    options.wireless.has(link.ifname) ? null : ethernetDescription(link, links);
  const found: HostInterface[] = [];
  for (const link of links) {
    const name = link.ifname;
    if (!isInterfaceName(name) || options.exclude.has(name) || link.master !== undefined) continue;
    if (link.linkinfo?.info_kind === 'bridge') {
      // As Multipass: the ports that are ethernet devices, not the taps of guests.
      const ports = links.filter((l) => l.master === name && ethernet(l) !== null).map((l) => l.ifname);
      const description = ports.length === 0 ? 'Network bridge' : `Network bridge with ${ports.join(', ')}`;
      found.push({ name, type: 'bridge', description });
      continue;
    }
    const description = ethernet(link);
    if (description !== null) found.push({ name, type: 'ethernet', description });
  }
  return found.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

/** Whether wireless detection should ask sysfs about `link`: only ethernet NICs with no virtual kind can be. */
export function mayBeWireless(link: IpLink): boolean {
  return link.link_type === 'ether' && link.linkinfo?.info_kind === undefined;
}
