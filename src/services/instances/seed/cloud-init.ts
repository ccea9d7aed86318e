/**
 * @module Pure: the NoCloud seed's files (meta-data, user-data, network-config) for one instance.
 *
 * The user's user-data reaches cloud-init byte for byte, whatever its format: skiff never re-serialises it (a YAML
 * 1.2 writer changes what a YAML 1.1 reader sees). user-data is a MIME multipart document: the user's text as
 * the first part, typed by cloud-init from its first line as if it were alone, then skiff's own #cloud-config,
 * merged in with `Merge-Type: dict(no_replace,recurse_list)+list(prepend)+str()`: every key the user set wins,
 * and skiff's login user is put in front of the user's `users` list. That user (`ubuntu`, as Multipass) alone gets
 * the daemon's key: a distribution's own default user (`debian` on Debian) does not. Everything skiff writes
 * itself is YAML 1.1-safe (yaml11.ts). Unlike Multipass, nothing is installed by default.
 */
import { randomBytes } from 'node:crypto';
import { multipartMixed, type MimePart } from './mime.js';
import { readUserData, type CloudConfig, type UserData } from './user-data.js';
import { yaml11 } from './yaml11.js';
import { SkiffError } from '../../../core/errors.js';

export { parseUserCloudConfig, readUserData } from './user-data.js';

/** Login name of the user skiff logs in as (Ubuntu's default user). */
export const DEFAULT_USER = 'ubuntu';

/** How skiff's part merges into the user's cloud-config (cloud-init's mergers). */
export const SKIFF_MERGE_TYPE = 'dict(no_replace,recurse_list)+list(prepend)+str()';

export interface CloudInitSpec {
  /** Changes whenever cloud-init should treat the VM as a new instance. */
  instanceId: string;
  hostname: string;
  /** Public keys (OpenSSH one-line format) of the daemon, installed for the login user only. */
  sshAuthorizedKeys: string[];
  /** The user's user-data (`launch --cloud-init`) in any format cloud-init reads; checked by readUserData. */
  userData?: string;
  /** When given, network-config pins DHCP to the NIC with this MAC (Ubuntu names NICs unpredictably). */
  macAddress?: string;
  /** The guest's SSH host key pair (OpenSSH formats), which cloud-init installs (`ssh_keys`). */
  hostKey?: { privateKey: string; publicKey: string };
  /** NICs after the primary one (`--network`), in guest order; needs `macAddress`. See extraEthernets. */
  extraNics?: ReadonlyArray<{ mac: string; mode: 'auto' | 'manual' }>;
}

/** The files of a NoCloud seed, by file name. */
export interface CloudInitFiles {
  'meta-data': string;
  'user-data': string;
  'network-config'?: string;
}

/**
 * The ed25519 host key the guest will present: skiff's, unless the user's #cloud-config brings its own
 * (`ssh_keys.ed25519_public`), which then wins as every key the user sets does. Null when neither is known.
 */
export function guestHostPublicKey(spec: CloudInitSpec): string | null {
  const user = spec.userData === undefined ? null : readUserData(spec.userData);
  const theirs = user?.kind === 'cloud-config' ? user.config.ssh_keys : undefined;
  if (isMapping(theirs) && typeof theirs.ed25519_public === 'string') return theirs.ed25519_public.trim();
  return spec.hostKey?.publicKey.trim() ?? null;
}

const LOGIN_DEFAULTS = { sudo: 'ALL=(ALL) NOPASSWD:ALL', shell: '/bin/bash', lock_passwd: true };

const isMapping = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/**
 * skiff's own users entry. cloud-init merges two entries of one name keeping the first one's values, so when
 * the user has an `ubuntu` entry, skiff's (placed first) carries their keys plus the daemon's, and only the
 * defaults they did not set, spelt as they spelt them.
 */
function loginUser(config: CloudConfig | null, daemonKeys: string[]): Record<string, unknown> {
  const users = Array.isArray(config?.users) ? (config.users as unknown[]) : [];
  const theirs = users.find((u): u is Record<string, unknown> => isMapping(u) && u.name === DEFAULT_USER);
  if (theirs === undefined) return { name: DEFAULT_USER, ...LOGIN_DEFAULTS, ssh_authorized_keys: daemonKeys };
  const keyField = 'ssh-authorized-keys' in theirs ? 'ssh-authorized-keys' : 'ssh_authorized_keys';
  const theirKeys = (theirs[keyField] as string[] | undefined) ?? [];
  const entry: Record<string, unknown> = { name: DEFAULT_USER };
  for (const [key, value] of Object.entries(LOGIN_DEFAULTS)) {
    if (!(key in theirs) && !(key.replace(/_/g, '-') in theirs)) entry[key] = value;
  }
  entry[keyField] = [...new Set([...daemonKeys, ...theirKeys])];
  return entry;
}

/**
 * skiff's #cloud-config: its login user, /etc/hosts naming the instance (else `sudo` cannot resolve it), and the
 * guest's host key, which the daemon pins.
 */
function skiffConfig(user: UserData | null, daemonKeys: string[], hostKey: CloudInitSpec['hostKey']): string {
  const config = user?.kind === 'cloud-config' ? user.config : null;
  // Without a `users` key cloud-init would create the distribution's default user: keep it so.
  const users = config?.users === undefined ? ['default'] : [];
  const keys =
    hostKey === undefined
      ? {}
      : { ssh_keys: { ed25519_private: hostKey.privateKey, ed25519_public: hostKey.publicKey.trim() } };
  return `#cloud-config\n${yaml11({ users: [...users, loginUser(config, daemonKeys)], manage_etc_hosts: true, ...keys })}`;
}

function userPart(user: UserData): MimePart | { nested: string } {
  if (user.kind === 'mime') return { nested: user.text };
  // text/plain: cloud-init types the part by its first line, exactly as it would the text alone.
  return { contentType: 'text/plain', filename: 'user-data', body: user.text };
}

/**
 * The seed files for `spec`.
 * @throws SkiffError invalid-argument when the user-data would fail in the guest (see readUserData)
 */
export function cloudInitFiles(spec: CloudInitSpec): CloudInitFiles {
  if (spec.sshAuthorizedKeys.length === 0) {
    throw new SkiffError('invalid-argument', 'cloud-init: at least one daemon SSH key is required');
  }
  const user = spec.userData === undefined ? null : readUserData(spec.userData);
  const daemonKeys = spec.sshAuthorizedKeys.map((k) => k.trim());
  const skiffPart: MimePart = {
    contentType: 'text/cloud-config',
    headers: { 'Merge-Type': SKIFF_MERGE_TYPE },
    filename: 'skiff.cfg',
    body: skiffConfig(user, daemonKeys, spec.hostKey),
  };
  const files: CloudInitFiles = {
    'meta-data': metaData(spec),
    'user-data': multipartMixed(user === null ? [skiffPart] : [userPart(user), skiffPart]),
  };
  if (spec.macAddress === undefined && (spec.extraNics?.length ?? 0) > 0)
    throw new SkiffError('internal', "cloud-init: extra NICs need the primary NIC's MAC address");
  if (spec.macAddress !== undefined) files['network-config'] = networkConfig(spec.macAddress, spec.extraNics);
  return files;
}

/** meta-data: the instance-id (a new one makes cloud-init run its per-instance modules again) and hostname. */
export function metaData(spec: Pick<CloudInitSpec, 'instanceId' | 'hostname'>): string {
  return yaml11({ 'instance-id': spec.instanceId, 'local-hostname': spec.hostname });
}

/** network-config (v2): DHCP on the primary NIC, matched by its MAC, then the extra NICs (see extraEthernets). */
export function networkConfig(macAddress: string, extraNics: CloudInitSpec['extraNics'] = []): string {
  return yaml11({
    version: 2,
    ethernets: {
      default: { match: { macaddress: macAddress.toLowerCase() }, dhcp4: true },
      ...extraEthernets(extraNics),
    },
  });
}

/** A new instance-id for `name`: cloud-init treats the guest as a new instance on its next boot. */
export function newInstanceId(name: string, random: (bytes: number) => Uint8Array = randomBytes): string {
  return `${name}-${Buffer.from(random(4)).toString('hex')}`;
}

/**
 * network-config (v2) entries of the extra NICs, keyed `extra<N>` by their place among them. mode=auto: DHCP,
 * matched by MAC as the primary NIC is, with Multipass's settings: the DHCP client id is the MAC (as a LAN's
 * DHCP server expects, rather than systemd-networkd's DUID), the default route stays on the primary NIC (route
 * metric 200), and boot does not wait for a LAN that may have no DHCP server (`optional`). mode=manual: no
 * entry at all, so netplan and networkd leave the NIC to the user (an entry, even an empty one, would have
 * networkd manage the link and drop addresses set by hand). No NIC gets `set-name`: each keeps the name the
 * guest's own rules give it (e.g. `enp0s4`, from its fixed PCI slot), as the primary NIC does, and nothing races
 * the kernel for `ethN` names.
 */
function extraEthernets(nics: NonNullable<CloudInitSpec['extraNics']>): Record<string, unknown> {
  return Object.fromEntries(
    nics.flatMap((nic, index) =>
      nic.mode === 'manual'
        ? []
        : [
            [
              `extra${index}`,
              {
                match: { macaddress: nic.mac.toLowerCase() },
                dhcp4: true,
                'dhcp-identifier': 'mac',
                'dhcp4-overrides': { 'route-metric': 200 },
                optional: true,
              },
            ],
          ],
    ),
  );
}
