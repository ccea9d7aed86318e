/**
 * @module Checks instance records loaded from `instances.json` before anything uses them. A record whose
 * name fails checkInstanceName (`../../x`) or whose fields have the wrong type is dropped with a line saying
 * why: names become paths that the daemon, as root, deletes. Pure.
 */
import { isIP } from 'node:net';
import { SkiffError } from '../../core/errors.js';
import { isInterfaceName } from '../../core/interface-name.js';
import { macProblem } from '../../core/mac-address.js';
import { checkForwardRule, type ForwardRule } from '../../core/forward-rule.js';
import { MOUNT_TYPES, mountTag, mountTarget } from '../../core/mount-spec.js';
import type { Decoded } from '../persist/state-file.js';
import { checkInstanceName } from './spec.js';
import { INSTANCE_STATES, type InstanceState } from './state.js';
import type { InstanceImage, InstanceRecord, MountEntry } from './store.js';

type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);
const isState = (v: unknown): v is InstanceState =>
  typeof v === 'string' && (INSTANCE_STATES as readonly string[]).includes(v);
const isCount = (v: unknown, min: number, max = Number.MAX_SAFE_INTEGER): v is number =>
  Number.isSafeInteger(v) && (v as number) >= min && (v as number) <= max;
const isPublicKey = (v: unknown): v is string =>
  typeof v === 'string' && /^ssh-[a-z0-9-]+ [A-Za-z0-9+/]+={0,3}(?: [^\r\n]*)?$/.test(v.trim());
const isTime = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v) && v >= 0;

/** @throws SkiffError('internal') when `data` is not a list at all (the whole file is unusable). */
export function decodeInstanceRecords(data: unknown): Decoded<InstanceRecord[]> {
  if (!Array.isArray(data)) {
    throw new SkiffError('internal', `instance records: expected a list, got ${typeName(data)}`);
  }
  const value: InstanceRecord[] = [];
  const dropped: string[] = [];
  const seen = new Set<string>();
  data.forEach((raw: unknown, index) => {
    const problem = recordProblem(raw);
    const label = isObject(raw) && typeof raw.name === 'string' ? JSON.stringify(raw.name) : `#${index}`;
    if (problem !== null) dropped.push(`dropped instance record ${label}: ${problem}`);
    else if (seen.has((raw as InstanceRecord).name))
      dropped.push(`dropped instance record ${label}: a second record with this name`);
    else {
      seen.add((raw as InstanceRecord).name);
      keepGoodForwards(raw as InstanceRecord, dropped);
      keepGoodMounts(raw as InstanceRecord, dropped);
      value.push(raw as InstanceRecord);
    }
  });
  return { value, dropped };
}

/** The first problem with a record, naming the field, or null when it is well-formed. */
function recordProblem(r: unknown): string | null {
  if (!isObject(r)) return `expected an object, got ${typeName(r)}`;
  if (typeof r.name !== 'string') return field('name', 'a string', r.name);
  try {
    checkInstanceName(r.name);
  } catch {
    return 'name is not a valid instance name';
  }
  if (!isState(r.state)) return field('state', 'an instance state', r.state);
  if (r.stateBeforeDelete !== null && !isState(r.stateBeforeDelete))
    return field('stateBeforeDelete', 'an instance state or null', r.stateBeforeDelete);
  if (!isCount(r.cpus, 1)) return field('cpus', 'a whole number >= 1', r.cpus);
  if (!isCount(r.memoryBytes, 1)) return field('memoryBytes', 'a whole number of bytes', r.memoryBytes);
  if (!isCount(r.diskBytes, 1)) return field('diskBytes', 'a whole number of bytes', r.diskBytes);
  if (!isCount(r.sshPort, 0, 65535)) return field('sshPort', 'a port number', r.sshPort);
  // The host SSH answers on; a name or an address, never something a shell or ssh_config could misread.
  if (
    r.sshHost !== undefined &&
    (typeof r.sshHost !== 'string' || !/^[A-Za-z0-9.:-]{1,253}$/.test(r.sshHost))
  )
    return field('sshHost', 'a host name or address', r.sshHost);
  if (typeof r.mac !== 'string' || !/^(?:[0-9a-f]{2}:){5}[0-9a-f]{2}$/i.test(r.mac))
    return field('mac', 'a MAC address', r.mac);
  if (!isTime(r.createdAtMs)) return field('createdAtMs', 'a time in ms', r.createdAtMs);
  if (r.shutdownAtMs !== null && !isTime(r.shutdownAtMs))
    return field('shutdownAtMs', 'a time in ms or null', r.shutdownAtMs);
  if (typeof r.launched !== 'boolean') return field('launched', 'true or false', r.launched);
  // It becomes a known_hosts line: one key, no line breaks (absent or null: not pinned yet).
  if (r.hostKey !== undefined && r.hostKey !== null && !isPublicKey(r.hostKey))
    return field('hostKey', 'an SSH public key or null', r.hostKey);
  return networkProblem(r.network) ?? extraNicsProblem(r.extraNics, r.mac) ?? imageProblem(r.image);
}

/** `network` becomes where SSH connects and what `list` shows: a mode, and an IPv4 literal only. */
function networkProblem(network: unknown): string | null {
  if (network === undefined) return null;
  if (!isObject(network)) return field('network', 'an object', network);
  if (network.mode !== 'nat' && network.mode !== 'user')
    return field('network.mode', '"nat" or "user"', network.mode);
  if (network.ipv4 !== undefined && (typeof network.ipv4 !== 'string' || isIP(network.ipv4) !== 4))
    return field('network.ipv4', 'an IPv4 address', network.ipv4);
  return null;
}

/**
 * Extra NICs become QEMU options and host interfaces the daemon attaches to as root: a safe interface name, a
 * known kind and mode, and a unicast MAC held by no other NIC of the instance.
 */
function extraNicsProblem(nics: unknown, primaryMac: string): string | null {
  if (nics === undefined) return null;
  if (!Array.isArray(nics)) return field('extraNics', 'a list', nics);
  const macs = new Set([primaryMac.toLowerCase()]);
  for (const [index, nic] of nics.entries()) {
    const at = `extraNics[${index}]`;
    if (!isObject(nic)) return field(at, 'an object', nic);
    if (typeof nic.host !== 'string' || !isInterfaceName(nic.host))
      return field(`${at}.host`, 'an interface name', nic.host);
    if (nic.kind !== 'bridge' && nic.kind !== 'macvtap')
      return field(`${at}.kind`, 'bridge or macvtap', nic.kind);
    if (nic.mode !== 'auto' && nic.mode !== 'manual') return field(`${at}.mode`, 'auto or manual', nic.mode);
    if (typeof nic.mac !== 'string' || macProblem(nic.mac) !== null)
      return field(`${at}.mac`, 'a unicast MAC address', nic.mac);
    if (macs.has(nic.mac.toLowerCase()))
      return `${at}.mac: ${nic.mac} is used by another NIC of the instance`;
    macs.add(nic.mac.toLowerCase());
  }
  return null;
}

/**
 * Each forward becomes a socket the daemon (root) binds, so each gets the checks of a rule given over the API;
 * a bad one is dropped alone (the instance stays), with a line in `dropped`.
 */
function keepGoodForwards(record: InstanceRecord & { forwards?: unknown }, dropped: string[]): void {
  const forwards = record.forwards;
  if (forwards === undefined) return;
  const label = `dropped from instance record ${JSON.stringify(record.name)}`;
  if (!Array.isArray(forwards)) {
    dropped.push(`${label}: ${field('forwards', 'a list', forwards)}`);
    delete record.forwards;
    return;
  }
  record.forwards = forwards.filter((forward: unknown, index) => {
    if (!isObject(forward)) {
      dropped.push(`${label}: ${field(`forwards[${index}]`, 'a forward rule', forward)}`);
      return false;
    }
    try {
      checkForwardRule(forward as unknown as ForwardRule);
      return true;
    } catch (error) {
      dropped.push(`${label}: forwards[${index}]: ${(error as Error).message}`);
      return false;
    }
  }) as ForwardRule[];
}

/**
 * Each mount becomes a directory the daemon (root) shares with a guest and a path it mounts there: an absolute
 * normal source, a target as the API would accept it, its own tag. A bad one is dropped alone.
 */
function keepGoodMounts(record: InstanceRecord & { mounts?: unknown }, dropped: string[]): void {
  const mounts = record.mounts;
  if (mounts === undefined) return;
  const label = `dropped from instance record ${JSON.stringify(record.name)}`;
  if (!Array.isArray(mounts)) {
    dropped.push(`${label}: ${field('mounts', 'a list', mounts)}`);
    delete record.mounts;
    return;
  }
  const targets = new Set<string>();
  record.mounts = mounts.filter((mount: unknown, index) => {
    const problem = mountProblem(mount, targets);
    if (problem !== null) dropped.push(`${label}: mounts[${index}]${problem}`);
    else targets.add((mount as MountEntry).target);
    return problem === null;
  }) as MountEntry[];
}

/** The first problem with one mount (starting with `.field` or `:`), or null. */
export function mountProblem(m: unknown, targets: ReadonlySet<string> = new Set()): string | null {
  if (!isObject(m)) return field('', 'an object', m);
  if (typeof m.source !== 'string' || !isNormalAbsolute(m.source))
    return `.${field('source', 'an absolute normal path', m.source)}`;
  if (typeof m.target !== 'string' || !isNormalAbsolute(m.target))
    return `.${field('target', 'an absolute normal path', m.target)}`;
  try {
    if (mountTarget(m.source, m.target) !== m.target) return `.target: "${m.target}" is not normal`;
  } catch (error) {
    return `.target: ${(error as Error).message}`;
  }
  if (targets.has(m.target)) return `.target: "${m.target}" is mounted twice`;
  if (!(MOUNT_TYPES as readonly unknown[]).includes(m.type))
    return `.${field('type', 'native or classic', m.type)}`;
  for (const key of ['uidMap', 'gidMap'] as const) {
    const maps = m[key];
    if (
      !Array.isArray(maps) ||
      !maps.every((x) => isObject(x) && isCount(x.host, 0, 0xfffffffe) && isCount(x.guest, 0, 0xfffffffe))
    )
      return `.${field(key, 'a list of {host, guest} ids', maps)}`;
  }
  if (m.tag !== mountTag(m.target)) return `.${field('tag', `"${mountTag(m.target)}"`, m.tag)}`;
  const transports = m.type === 'classic' ? ['sshfs'] : ['virtiofs', '9p'];
  if (m.transport !== undefined && !transports.includes(m.transport as string))
    return `.${field('transport', transports.join(' or '), m.transport)}`;
  if (
    m.owner !== undefined &&
    !(isObject(m.owner) && isCount(m.owner.uid, 0, 0xfffffffe) && isCount(m.owner.gid, 0, 0xfffffffe))
  )
    return `.${field('owner', '{uid, gid}', m.owner)}`;
  // A classic mount's host side runs as its owner: without one it could only run as root.
  if (m.type === 'classic' && m.owner === undefined) return `.${field('owner', '{uid, gid}', m.owner)}`;
  return null;
}

const isNormalAbsolute = (path: string) =>
  path.startsWith('/') &&
  !/[\0\n]/.test(path) &&
  (path === '/' ||
    (!path.endsWith('/') &&
      !path
        .split('/')
        .slice(1)
        .some((p) => p === '' || p === '.' || p === '..')));

function imageProblem(image: unknown): string | null {
  if (!isObject(image)) return field('image', 'an object', image);
  const strings: Array<keyof InstanceImage> = ['id', 'path', 'releaseTitle', 'os', 'query', 'version'];
  for (const key of strings)
    if (typeof image[key] !== 'string') return field(`image.${key}`, 'a string', image[key]);
  if (!/^(?:[0-9a-f]{64})?$/.test(image.id as string)) return field('image.id', 'a sha256', image.id);
  if (image.remote !== null && typeof image.remote !== 'string')
    return field('image.remote', 'a string or null', image.remote);
  return null;
}

function field(name: string, expected: string, value: unknown): string {
  return `${name}: expected ${expected}, got ${value === undefined ? 'nothing' : JSON.stringify(value)}`;
}

function typeName(value: unknown): string {
  return value === null ? 'null' : Array.isArray(value) ? 'a list' : typeof value;
}
