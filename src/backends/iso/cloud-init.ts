/**
 * @module Pure: the NoCloud seed's files (meta-data, user-data, network-config) for one instance, with the
 * user's #cloud-config merged in. The default user `ubuntu` always exists and always accepts the daemon's
 * key (that is how skiff reaches the guest); everything else the user wrote is kept as written. Unlike
 * Multipass, nothing is installed by default.
 */
import { parseDocument, stringify } from 'yaml';
import { SkiffError } from '../../core/errors.js';

/** Login name of the default user (Ubuntu's). */
export const DEFAULT_USER = 'ubuntu';

export interface CloudInitSpec {
  /** Changes whenever cloud-init should treat the VM as a new instance. */
  instanceId: string;
  hostname: string;
  /** Public keys (OpenSSH one-line format) of the daemon, installed for the default user. */
  sshAuthorizedKeys: string[];
  /** The user's #cloud-config YAML (`launch --cloud-init`), validated with parseUserCloudConfig. */
  userCloudConfig?: string;
  /** When given, network-config pins DHCP to the NIC with this MAC (Ubuntu names NICs unpredictably). */
  macAddress?: string;
}

/** The files of a NoCloud seed, by file name. */
export interface CloudInitFiles {
  'meta-data': string;
  'user-data': string;
  'network-config'?: string;
}

export type CloudConfig = Record<string, unknown>;

const isMapping = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

const invalid = (message: string, details?: Record<string, unknown>): SkiffError =>
  new SkiffError('invalid-argument', `cloud-init: ${message}`, {
    details: { field: 'cloud-init', ...details },
  });

/** Keys whose shape the merge depends on, checked so a bad value fails at launch, not silently in the guest. */
function checkShapes(config: CloudConfig): void {
  const keys = config.ssh_authorized_keys;
  if (keys !== undefined && !(Array.isArray(keys) && keys.every((k) => typeof k === 'string'))) {
    throw invalid('ssh_authorized_keys: must be a list of strings');
  }
  const users = config.users;
  if (users !== undefined && !Array.isArray(users) && typeof users !== 'string') {
    throw invalid('users: must be a list (e.g. [default, {name: alice}])');
  }
  if (Array.isArray(users)) {
    users.forEach((user, i) => {
      if (typeof user === 'string') return;
      if (!isMapping(user)) throw invalid(`users[${i}]: must be a name or a mapping`);
      if (user.name !== undefined && typeof user.name !== 'string')
        throw invalid(`users[${i}].name: must be a string`);
    });
  }
}

/**
 * Parses the user's cloud-init text: YAML whose top level is a mapping (a `#cloud-config` first line is
 * optional). Blank text is an empty config. @throws SkiffError invalid-argument "cloud-init: line N: ..."
 */
export function parseUserCloudConfig(text: string): CloudConfig {
  if (/^#!/.test(text) || /^#include\b/.test(text) || /^Content-Type:/i.test(text)) {
    throw invalid('only #cloud-config YAML is supported (put scripts under runcmd)');
  }
  const doc = parseDocument(text, { prettyErrors: true, uniqueKeys: true });
  const error = doc.errors[0];
  if (error !== undefined) {
    const line = error.linePos?.[0].line;
    const what = (error.message.split('\n')[0] ?? '').replace(/ at line \d+, column \d+:?$/, '');
    throw invalid(`${line === undefined ? '' : `line ${line}: `}${what}`, { line });
  }
  const value: unknown = doc.toJS();
  if (value === null || value === undefined) return {};
  if (!isMapping(value)) {
    throw invalid(
      `the top level must be a mapping of keys (users, runcmd, ...), got ${Array.isArray(value) ? 'a list' : typeof value}`,
    );
  }
  checkShapes(value);
  return value;
}

const unique = (items: string[]): string[] => [...new Set(items)];

/** Normalises `users` (the legacy comma-separated string form included) to a list. */
function userList(users: unknown): unknown[] {
  if (users === undefined) return [];
  if (typeof users === 'string') {
    return users
      .split(',')
      .map((u) => u.trim())
      .filter(Boolean);
  }
  return [...(users as unknown[])];
}

/** The `users` list with `default` present and a `ubuntu` entry that accepts the daemon's keys. */
function mergeUsers(users: unknown, daemonKeys: string[]): unknown[] {
  const list = userList(users);
  if (!list.includes('default')) list.unshift('default');
  const index = list.findIndex((u) => isMapping(u) && u.name === DEFAULT_USER);
  const ours = { sudo: 'ALL=(ALL) NOPASSWD:ALL', shell: '/bin/bash', lock_passwd: true };
  if (index === -1) {
    list.push({ name: DEFAULT_USER, ...ours, ssh_authorized_keys: daemonKeys });
    return list;
  }
  const theirs = list[index] as Record<string, unknown>;
  const theirKeys = theirs.ssh_authorized_keys ?? theirs['ssh-authorized-keys'];
  const keys = Array.isArray(theirKeys) ? theirKeys.map(String) : [];
  const merged: Record<string, unknown> = {
    ...ours,
    ...theirs,
    ssh_authorized_keys: unique([...daemonKeys, ...keys]),
  };
  delete merged['ssh-authorized-keys'];
  list[index] = merged;
  return list;
}

/** Renders YAML without folding long lines (an SSH key must stay on one line for line-based readers). */
const yaml = (value: unknown): string => stringify(value, { lineWidth: 0, minContentWidth: 0 });

/**
 * The seed files for `spec`. The user's keys (runcmd, write_files, packages, users...) are kept; `users`
 * gains `default` and the daemon's key for `ubuntu`; top-level ssh_authorized_keys gains the daemon's keys.
 * @throws SkiffError invalid-argument when userCloudConfig does not parse (see parseUserCloudConfig)
 */
export function cloudInitFiles(spec: CloudInitSpec): CloudInitFiles {
  if (spec.sshAuthorizedKeys.length === 0) {
    throw new SkiffError('invalid-argument', 'cloud-init: at least one daemon SSH key is required');
  }
  const user = spec.userCloudConfig === undefined ? {} : parseUserCloudConfig(spec.userCloudConfig);
  const daemonKeys = spec.sshAuthorizedKeys.map((k) => k.trim());
  const userKeys = Array.isArray(user.ssh_authorized_keys) ? (user.ssh_authorized_keys as string[]) : [];
  const merged: CloudConfig = {
    ...user,
    users: mergeUsers(user.users, daemonKeys),
    ssh_authorized_keys: unique([...daemonKeys, ...userKeys]),
  };
  const files: CloudInitFiles = {
    'meta-data': yaml({ 'instance-id': spec.instanceId, 'local-hostname': spec.hostname }),
    'user-data': `#cloud-config\n${yaml(merged)}`,
  };
  if (spec.macAddress !== undefined) {
    files['network-config'] = yaml({
      version: 2,
      ethernets: {
        default: { match: { macaddress: spec.macAddress.toLowerCase() }, dhcp4: true },
      },
    });
  }
  return files;
}
