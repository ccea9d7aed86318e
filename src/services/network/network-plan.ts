/**
 * @module Which subnet and bridge skiff's network is to have, pure: what was persisted, the `local.subnet`
 * setting and the host's addresses and routes in, the next state out (reservations renumbered when the subnet
 * changed). The only place that decides the subnet.
 */
import { SkiffError } from '../../core/errors.js';
import type { NetworkState } from './network-state.js';
import type { HostPrefix } from './ports.js';
import { renumber, type Reservation } from './reservations.js';
import { formatSubnet, overlaps, parseCidr, pickSubnet, type Subnet } from './subnet.js';

export interface PlanInput {
  current: NetworkState | null;
  bridge: string;
  /** The `local.subnet` setting, validated. */
  explicit: Subnet | null;
  candidates: readonly Subnet[];
}

/** The state as it stands when nothing needs deciding (no host lookup needed), else null. */
export function settled(input: PlanInput): NetworkState | null {
  const { current, bridge, explicit } = input;
  if (current === null || current.bridge !== bridge) return null;
  return explicit === null || current.subnet === formatSubnet(explicit) ? current : null;
}

/**
 * The next state: an explicit subnet wins (refused when it overlaps the host), else the persisted one stays
 * (guests hold addresses in it), else the first candidate free on the host. `used` must leave out the
 * prefixes of skiff's own bridge. @throws SkiffError invalid-argument (explicit overlaps), conflict (no candidate)
 */
export function plan(
  input: PlanInput,
  used: readonly HostPrefix[],
): { next: NetworkState; dropped: Reservation[] } {
  const { current, explicit } = input;
  const taken = used.map((p) => ({ prefix: p, subnet: parseCidr(p.cidr) })).filter((t) => t.subnet !== null);
  let subnet: Subnet;
  if (explicit !== null) {
    const clash = taken.find((t) => overlaps(explicit, t.subnet as Subnet));
    if (clash !== undefined) throw overlapError(formatSubnet(explicit), clash.prefix);
    subnet = explicit;
  } else if (current !== null) {
    subnet = parseCidr(current.subnet) as Subnet;
  } else {
    subnet = pickSubnet(
      taken.map((t) => t.subnet as Subnet),
      input.candidates,
    );
  }
  let reservations = current?.reservations ?? [];
  let dropped: Reservation[] = [];
  if (current !== null && current.subnet !== formatSubnet(subnet)) {
    ({ reservations, dropped } = renumber(reservations, parseCidr(current.subnet) as Subnet, subnet));
  }
  const next: NetworkState = {
    bridge: input.bridge,
    subnet: formatSubnet(subnet),
    origin: explicit !== null ? 'explicit' : (current?.origin ?? 'auto'),
    reservations,
  };
  return { next, dropped };
}

function overlapError(subnet: string, clash: HostPrefix): SkiffError {
  const what = clash.kind === 'address' ? 'an address' : 'a route';
  const where = clash.dev === undefined ? '' : ` on ${clash.dev}`;
  return new SkiffError(
    'invalid-argument',
    `local.subnet: ${subnet} overlaps ${clash.cidr} (${what}${where}) of this host; choose another subnet`,
    { details: { field: 'local.subnet', value: subnet, overlaps: clash.cidr } },
  );
}
