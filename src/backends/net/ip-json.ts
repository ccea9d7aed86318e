/**
 * @module Parsing iproute2's JSON output (`ip -j`), pure: the checks each caller relies on, with errors that
 * name the command and the JSON path. Fields this code does not use are ignored, so newer iproute2 versions
 * that add fields still parse.
 */
import { SkiffError } from '../../core/errors.js';
import type { HostPrefix } from '../../services/network/ports.js';

type Json = Record<string, unknown>;

function entries(text: string, command: string): Json[] {
  let data: unknown;
  try {
    // `ip -j` prints nothing at all for an empty answer on some versions.
    data = text.trim() === '' ? [] : JSON.parse(text);
  } catch (error) {
    throw new SkiffError('internal', `${command}: output is not JSON`, { cause: error });
  }
  if (!Array.isArray(data)) throw new SkiffError('internal', `${command}: expected a JSON array`);
  return data.map((entry: unknown, i) => {
    if (typeof entry !== 'object' || entry === null || Array.isArray(entry)) {
      throw new SkiffError('internal', `${command}: [${i}] is not an object`);
    }
    return entry as Json;
  });
}

const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);

/** One interface's IPv4 addresses from `ip -j addr`. */
export interface LinkAddresses {
  ifname: string;
  /** `a.b.c.d/n`, the address itself (not its network). */
  inet: string[];
}

/** `ip -j addr [show dev X]` → interfaces with their IPv4 addresses. */
export function parseAddresses(text: string): LinkAddresses[] {
  return entries(text, 'ip -j addr').flatMap((link, i) => {
    const ifname = str(link.ifname);
    if (ifname === undefined) throw new SkiffError('internal', `ip -j addr: [${i}].ifname is not a string`);
    const info = Array.isArray(link.addr_info) ? (link.addr_info as unknown[]) : [];
    const inet = info.flatMap((a) => {
      const { family, local, prefixlen } = (a ?? {}) as Json;
      return family === 'inet' && typeof local === 'string' && typeof prefixlen === 'number'
        ? [`${local}/${prefixlen}`]
        : [];
    });
    return [{ ifname, inet }];
  });
}

/** `ip -j route show table all` → route destinations, without default routes (they take no addresses). */
export function parseRoutes(text: string): HostPrefix[] {
  return entries(text, 'ip -j route').flatMap((route) => {
    const dst = str(route.dst);
    if (dst === undefined || dst === 'default' || dst.endsWith('/0') || dst.includes(':')) return [];
    const dev = str(route.dev);
    return [{ cidr: dst.includes('/') ? dst : `${dst}/32`, kind: 'route' as const, ...(dev ? { dev } : {}) }];
  });
}

/** `ip -j -d link show` → each link's kind (`bridge`, `veth`, ...; null for a plain device), by name. */
export function parseLinkKinds(text: string): Map<string, string | null> {
  const kinds = new Map<string, string | null>();
  entries(text, 'ip -j -d link').forEach((link, i) => {
    const name = str(link.ifname);
    if (name === undefined) throw new SkiffError('internal', `ip -j -d link: [${i}].ifname is not a string`);
    const info = (link.linkinfo ?? {}) as Json;
    kinds.set(name, str(info.info_kind) ?? null);
  });
  return kinds;
}

/** `ip -j link show master X` → the names of the enslaved links. */
export function parseLinkNames(text: string): string[] {
  return entries(text, 'ip -j link').flatMap((link) => {
    const name = str(link.ifname);
    return name === undefined ? [] : [name];
  });
}
