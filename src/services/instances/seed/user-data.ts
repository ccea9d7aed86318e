/**
 * @module The user's user-data (`launch --cloud-init`), as cloud-init will see it. skiff passes it to the guest
 * byte for byte, in any format real cloud-init accepts; only `#cloud-config` is parsed here, to refuse what would
 * fail in the guest and to learn what the seed must add (see cloud-init.ts). The parse is YAML 1.1, as cloud-init's
 * PyYAML reads it, so `on` is a boolean here too.
 */
import { parseDocument } from 'yaml';
import { SkiffError } from '../../../core/errors.js';

export type CloudConfig = Record<string, unknown>;

/**
 * - `cloud-config`: YAML (a `#cloud-config` first line, or a header-less mapping, which gets that line added)
 * - `mime`: a MIME multipart document of the user's own (cloud-init finds `MIME-Version:` in its first 4 KiB)
 * - `other`: a format cloud-init recognises by its first line (`#!` script, `#include`, `#cloud-boothook`...)
 */
export type UserData =
  | { kind: 'cloud-config'; text: string; config: CloudConfig }
  | { kind: 'mime'; text: string }
  | { kind: 'other'; text: string; format: string };

/** First-line markers of the formats cloud-init types by their start (its INCLUSION_TYPES_MAP). */
const FORMATS: Array<[prefix: string, format: string]> = [
  ['#cloud-config-archive', 'cloud-config-archive'],
  ['#cloud-config-jsonp', 'cloud-config-jsonp'],
  ['#cloud-boothook', 'cloud-boothook'],
  ['#include-once', 'include-once'],
  ['#include', 'include'],
  ['#part-handler', 'part-handler'],
  ['## template: jinja', 'jinja template'],
  ['#!', 'script'],
];

/** Aliases a document may expand: far more than any real cloud-config uses, far less than a "billion laughs". */
const MAX_ALIAS_COUNT = 100;

const invalid = (message: string, details?: Record<string, unknown>): SkiffError =>
  new SkiffError('invalid-argument', `cloud-init: ${message}`, {
    details: { field: 'cloud-init', ...details },
  });

const isMapping = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/**
 * Classifies and checks the user's text. Blank text is no user-data (null).
 * @throws SkiffError invalid-argument "cloud-init: line N: ..." for YAML that would fail in the guest
 */
export function readUserData(text: string): UserData | null {
  if (text.trim() === '') return null;
  if (text.includes('\0')) throw invalid('user data must be text (it contains NUL bytes)');
  if (/^#cloud-config\s*$/m.test(text.split('\n', 1)[0] ?? '')) {
    return { kind: 'cloud-config', text, config: parseUserCloudConfig(text) };
  }
  if (/mime-version:/i.test(text.slice(0, 4096))) return { kind: 'mime', text };
  const format = FORMATS.find(([prefix]) => text.startsWith(prefix));
  if (format) return { kind: 'other', text, format: format[1] };
  // Not a format cloud-init knows by its first line: skiff has always taken a bare YAML mapping as cloud-config.
  const config = parseUserCloudConfig(text, 'no-header');
  return { kind: 'cloud-config', text: `#cloud-config\n${text}`, config };
}

/**
 * Parses cloud-config YAML (YAML 1.1) whose top level is a mapping. Blank text is an empty config.
 * @throws SkiffError invalid-argument "cloud-init: line N: ..."
 */
export function parseUserCloudConfig(text: string, header: 'header' | 'no-header' = 'header'): CloudConfig {
  const doc = parseDocument(text, { version: '1.1', prettyErrors: true, uniqueKeys: true });
  const error = doc.errors[0];
  if (error !== undefined) {
    const line = error.linePos?.[0].line;
    const what = (error.message.split('\n')[0] ?? '').replace(/ at line \d+, column \d+:?$/, '');
    throw invalid(`${line === undefined ? '' : `line ${line}: `}${what}`, { line });
  }
  let value: unknown;
  try {
    value = doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT });
  } catch (error) {
    throw invalid(`the YAML expands too many aliases (more than ${MAX_ALIAS_COUNT}): refused`, {
      cause: (error as Error).message,
    });
  }
  if (value === null || value === undefined) return {};
  if (!isMapping(value)) {
    const got = Array.isArray(value) ? 'a list' : typeof value;
    throw invalid(
      header === 'header'
        ? `the top level must be a mapping of keys (users, runcmd, ...), got ${got}`
        : `user data must start with #cloud-config, #!, #include or another line cloud-init recognises (got ${got} YAML)`,
    );
  }
  checkShapes(value);
  return value;
}

/** Keys whose shape the seed depends on, checked so a bad value fails at launch, not silently in the guest. */
function checkShapes(config: CloudConfig): void {
  for (const key of ['ssh_authorized_keys', 'ssh-authorized-keys']) {
    const keys = config[key];
    if (keys !== undefined && !(Array.isArray(keys) && keys.every((k) => typeof k === 'string'))) {
      throw invalid(`${key}: must be a list of strings`);
    }
  }
  const users = config.users;
  // cloud-init also takes a mapping or a comma-separated string here, but could not merge skiff's login user
  // into either: its mergers drop a list merged into a mapping or a string.
  if (users !== undefined && !Array.isArray(users)) {
    throw invalid('users: must be a list (e.g. [default, {name: alice}]): skiff adds its login user to it');
  }
  if (Array.isArray(users)) {
    users.forEach((user, i) => {
      if (typeof user === 'string') return;
      if (!isMapping(user)) throw invalid(`users[${i}]: must be a name or a mapping`);
      if (user.name !== undefined && typeof user.name !== 'string')
        throw invalid(`users[${i}].name: must be a string`);
      for (const key of ['ssh_authorized_keys', 'ssh-authorized-keys']) {
        const keys = user[key];
        if (keys !== undefined && !(Array.isArray(keys) && keys.every((k) => typeof k === 'string')))
          throw invalid(`users[${i}].${key}: must be a list of strings`);
      }
    });
  }
}
