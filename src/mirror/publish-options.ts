/**
 * @module The options of `skiff mirror build`, checked all at once (every problem named with its flag). Pure.
 */
import { SkiffError } from '../core/errors.js';

export type Stream = 'releases' | 'daily';

export interface PublishOptions {
  stream: Stream;
  /** Lower-case OS name as in products files, e.g. `ubuntu`. */
  os: string;
  /** Codename, e.g. `noble` (the products file's `release`). */
  codename: string;
  /** Release number, e.g. `24.04` (the products file's `version`). */
  version: string;
  /** e.g. `24.04 LTS`. */
  title: string;
  arch: string;
  aliases: string[];
  supported: boolean;
  /** `YYYYMMDD` or `YYYYMMDD.N`; null: derive from today (and the next free `.N`). */
  serial: string | null;
}

export interface RawPublishOptions {
  release?: string;
  version?: string;
  aliases?: string;
  title?: string;
  os?: string;
  arch?: string;
  serial?: string;
  stream?: string;
  unsupported?: boolean;
}

const CODENAME = /^[a-z][a-z0-9-]{0,31}$/;
// Release numbers as distributions write them: Debian `12`, Ubuntu `24.04`, point releases `12.5`.
const VERSION = /^\d{1,4}(?:\.\d{1,4}){0,2}$/;
const ALIAS = /^[a-z0-9][a-z0-9.-]{0,63}$/;
const OS = /^[a-z][a-z0-9-]{0,31}$/;
const ARCH = /^[a-z0-9_]{2,16}$/;
export const SERIAL = /^(\d{4})(\d{2})(\d{2})(?:\.(\d{1,3}))?$/;

/**
 * Validates and normalises the flags. `hostArch` is the default arch.
 * @throws SkiffError('invalid-argument') listing every problem.
 */
export function parsePublishOptions(raw: RawPublishOptions, hostArch: string): PublishOptions {
  const problems: string[] = [];
  const need = (value: string | undefined, flag: string, pattern: RegExp, example: string): string => {
    if (value === undefined || value === '') problems.push(`${flag} is required (e.g. ${flag} ${example})`);
    else if (!pattern.test(value)) problems.push(`${flag} "${value}" is invalid (e.g. ${flag} ${example})`);
    return value ?? '';
  };
  const codename = need(raw.release, '--release', CODENAME, 'noble');
  const version = need(raw.version, '--version', VERSION, '24.04');
  const aliases = (raw.aliases ?? '')
    .split(',')
    .map((a) => a.trim())
    .filter((a) => a !== '');
  if (raw.aliases === undefined) problems.push('--aliases is required (e.g. --aliases noble,24.04,lts)');
  for (const alias of aliases)
    if (!ALIAS.test(alias)) problems.push(`--aliases: "${alias}" is not a valid alias`);
  if (new Set(aliases).size !== aliases.length) problems.push('--aliases: an alias is listed twice');
  const os = raw.os ?? 'ubuntu';
  if (!OS.test(os)) problems.push(`--os "${os}" is invalid (lower-case letters, digits and "-")`);
  const arch = raw.arch ?? hostArch;
  if (!ARCH.test(arch)) problems.push(`--arch "${arch}" is invalid (e.g. amd64)`);
  const stream = raw.stream ?? 'releases';
  if (stream !== 'releases' && stream !== 'daily')
    problems.push(`--stream "${stream}" is invalid (releases or daily)`);
  const serial = raw.serial ?? null;
  if (serial !== null && !validSerial(serial))
    problems.push(`--serial "${serial}" is invalid (YYYYMMDD or YYYYMMDD.N)`);
  const title = raw.title ?? version;
  if (title.length > 100 || /[\n\r]/.test(title))
    problems.push('--title must be one line of at most 100 characters');
  if (problems.length > 0) {
    throw new SkiffError('invalid-argument', `mirror build: ${problems.join('; ')}`, {
      details: { problems },
    });
  }
  return {
    stream: stream as Stream,
    os,
    codename,
    version,
    title,
    arch,
    aliases,
    supported: !raw.unsupported,
    serial,
  };
}

function validSerial(serial: string): boolean {
  const match = SERIAL.exec(serial);
  if (!match) return false;
  const [, y, m, d] = match.map(Number);
  const date = new Date(Date.UTC(y!, m! - 1, d!));
  return date.getUTCFullYear() === y && date.getUTCMonth() === m! - 1 && date.getUTCDate() === d;
}
