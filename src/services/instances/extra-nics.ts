/**
 * @module A launch's extra NICs (`--network`, `--bridged`): each request checked against the host's usable
 * interfaces and every MAC other instances hold, MACs generated where none was given, and the NIC list a
 * driver starts an instance with. Pure (randomness injected).
 */
import { randomBytes } from 'node:crypto';
import { SkiffError } from '../../core/errors.js';
import { isInterfaceName } from '../../core/interface-name.js';
import { checkMac } from '../../core/mac-address.js';
import type { HostInterface, NicAttachment, NicSpec } from './ports.js';
import type { ExtraNic, InstanceRecord } from './store.js';

/** One `--network` as the API carries it. */
export interface NetworkRequest {
  /** A host interface, or BRIDGED for the one in `local.bridged-network`. */
  name: string;
  mode?: string;
  mac?: string;
}

/** Multipass's shortcut name for `local.bridged-network`. */
export const BRIDGED = 'bridged';
/** Most extra NICs per instance: far more than anyone bridges to, few enough to keep a launch bounded. */
export const MAX_EXTRA_NICS = 8;
const BRIDGED_KEY = 'local.bridged-network';

export interface ExtraNicsContext {
  /** What `skiff networks` lists now. */
  interfaces: readonly HostInterface[];
  /** The `local.bridged-network` setting ('' when unset). */
  bridgedNetwork: string;
  /** Every MAC other instances hold (primary and extra NICs), with the instance that holds it. */
  macsInUse: ReadonlyMap<string, string>;
  random?: (bytes: number) => Uint8Array;
}

const invalid = (message: string) =>
  new SkiffError('invalid-argument', message, { details: { field: 'networks' } });

/**
 * The extra NICs `requests` ask for, in order, each with its MAC.
 * @throws SkiffError invalid-argument (malformed), not-found (no such usable interface, or `bridged` unset),
 *   conflict (a MAC given twice or held by another instance)
 */
export function checkExtraNics(requests: readonly NetworkRequest[], ctx: ExtraNicsContext): ExtraNic[] {
  if (requests.length > MAX_EXTRA_NICS)
    throw invalid(`at most ${MAX_EXTRA_NICS} extra network interfaces, not ${requests.length}`);
  const requested = new Set<string>();
  const checked = requests.map((request) => {
    const host = hostName(request.name, ctx.bridgedNetwork);
    const label = `--network ${request.name}`;
    const mode = request.mode ?? 'auto';
    if (mode !== 'auto' && mode !== 'manual')
      throw invalid(`${label}: bad mode "${mode}", need "auto" or "manual"`);
    const mac = request.mac === undefined ? undefined : checkMac(request.mac, `${label}: mac`);
    if (mac !== undefined) {
      if (requested.has(mac))
        throw new SkiffError('conflict', `${label}: MAC address ${mac} is given twice`, { details: { mac } });
      const holder = ctx.macsInUse.get(mac);
      if (holder !== undefined)
        throw new SkiffError(
          'conflict',
          `${label}: MAC address ${mac} is already used by instance "${holder}"`,
          {
            details: { mac, instance: holder },
          },
        );
      requested.add(mac);
    }
    const found = ctx.interfaces.find((i) => i.name === host);
    if (found === undefined) throw notUsable(request.name, host);
    return { host, kind: found.type === 'bridge' ? 'bridge' : 'macvtap', mode, mac } as const;
  });
  // Generated after every given MAC is known, so none is handed out twice.
  const taken = new Set([...ctx.macsInUse.keys(), ...requested]);
  return checked.map((nic) => ({ ...nic, mac: nic.mac ?? generateMac(taken, ctx.random) }));
}

/** The interface `name` stands for. */
function hostName(name: string, bridgedNetwork: string): string {
  if (name === BRIDGED) {
    if (bridgedNetwork === '')
      throw new SkiffError(
        'not-found',
        `You have to \`skiff set ${BRIDGED_KEY}=<name>\` to use the "bridged" shortcut.`,
        {
          details: { field: BRIDGED_KEY },
        },
      );
    return bridgedNetwork;
  }
  if (!isInterfaceName(name))
    throw invalid(`--network ${name}: not an interface name (letters, digits, "_", "." and "-", at most 15)`);
  return name;
}

function notUsable(name: string, host: string): SkiffError {
  if (name === BRIDGED) {
    return new SkiffError(
      'not-found',
      `Invalid network "${host}" set as bridged interface, use \`skiff set ${BRIDGED_KEY}=<name>\` to correct. See \`skiff networks\` for valid names.`,
      { details: { field: BRIDGED_KEY, network: host } },
    );
  }
  return new SkiffError(
    'not-found',
    `--network ${name}: no usable host interface named "${host}" (\`skiff networks\` lists the bridges and ethernet devices)`,
    { details: { field: 'networks', network: host } },
  );
}

/**
 * A locally administered unicast MAC under QEMU's 52:54:00 prefix that is not in `taken`; it is added there.
 * @throws SkiffError('internal') when 100 draws all collide (a broken random source)
 */
export function generateMac(taken: Set<string>, random: (bytes: number) => Uint8Array = randomBytes): string {
  for (let attempt = 0; attempt < 100; attempt++) {
    const mac = `52:54:00:${[...random(3)].map((b) => b.toString(16).padStart(2, '0')).join(':')}`;
    if (!taken.has(mac)) {
      taken.add(mac);
      return mac;
    }
  }
  throw new SkiffError('internal', `no unused MAC address after 100 draws (${taken.size} in use)`);
}

/** Every MAC the instances in `records` hold, with the instance holding it. */
export function macsInUse(records: readonly InstanceRecord[]): Map<string, string> {
  const macs = new Map<string, string>();
  for (const r of records) {
    macs.set(r.mac.toLowerCase(), r.name);
    for (const nic of r.extraNics ?? []) macs.set(nic.mac.toLowerCase(), r.name);
  }
  return macs;
}

/** The NICs to start `record` with: the primary one attached as `primary`, then its extra NICs in order. */
export function nicsFor(
  record: Pick<InstanceRecord, 'mac' | 'extraNics'>,
  primary: NicAttachment,
): NicSpec[] {
  return [
    { mac: record.mac, attach: primary },
    ...(record.extraNics ?? []).map((nic): NicSpec => ({
      mac: nic.mac,
      attach:
        nic.kind === 'bridge' ? { kind: 'bridge', bridge: nic.host } : { kind: 'macvtap', parent: nic.host },
    })),
  ];
}
