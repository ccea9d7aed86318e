/**
 * @module Launch parameters: names, sizes with units, Multipass's minimums and defaults. Pure.
 */
import { join } from 'node:path';
import { SkiffError } from '../../core/errors.js';
import { invalidInstanceName, invalidMemorySize } from '../../core/messages.js';

export const LIMITS = {
  minCpus: 1,
  defaultCpus: 1,
  minMemoryBytes: 512 * 2 ** 20,
  defaultMemoryBytes: 2 ** 30,
  minDiskBytes: 2 ** 30,
  defaultDiskBytes: 5 * 2 ** 30,
  maxCpus: 512,
  /**
   * The largest disk: 4 TiB. Disks are thin (a qcow2 overlay grows as the guest writes), so this is not
   * reserved on the host; it only keeps a typo (`-d 5000T`) from making a disk no host could ever back,
   * while staying far above what a development VM uses and below qcow2's own 64 TiB limit.
   */
  maxDiskBytes: 4 * 2 ** 40,
} as const;

const NAME = /^[a-zA-Z](?:[a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?$/;

/** Multipass's instance-name rules. @throws SkiffError('invalid-argument') naming the rule broken. */
export function checkInstanceName(name: string): string {
  if (!NAME.test(name)) {
    throw new SkiffError(
      'invalid-argument',
      `${invalidInstanceName(name)} (names start with a letter, contain only letters, digits and "-", do not end with "-", and have at most 63 characters)`,
      { details: { field: 'name' } },
    );
  }
  return name;
}

/**
 * The directory of instance `name` under `instancesDir`. The name is checked here too, so no path (and no
 * `rm -r` as root) is ever built from a name like `../../x`, whatever the caller forgot.
 * @throws SkiffError('invalid-argument')
 */
export function instanceDir(instancesDir: string, name: string): string {
  return join(instancesDir, checkInstanceName(name));
}

const UNITS: Record<string, number> = {
  '': 1,
  b: 1,
  k: 2 ** 10,
  kb: 2 ** 10,
  kib: 2 ** 10,
  m: 2 ** 20,
  mb: 2 ** 20,
  mib: 2 ** 20,
  g: 2 ** 30,
  gb: 2 ** 30,
  gib: 2 ** 30,
  t: 2 ** 40,
  tb: 2 ** 40,
  tib: 2 ** 40,
};

/**
 * Parses `512M`, `1.5G`, `10GiB`, `1073741824` (bytes) as Multipass does (binary units).
 * @throws SkiffError('invalid-argument') naming the option.
 */
export function parseSize(option: string, value: string): number {
  const match = /^\s*(\d+(?:\.\d+)?)\s*([a-zA-Z]*)\s*$/.exec(value);
  const unit = match ? UNITS[match[2]!.toLowerCase()] : undefined;
  if (!match || unit === undefined) {
    throw new SkiffError('invalid-argument', `${invalidMemorySize(value)} (${option})`, {
      details: { field: option },
    });
  }
  const bytes = Math.floor(Number(match[1]) * unit);
  if (!Number.isSafeInteger(bytes)) {
    throw new SkiffError('invalid-argument', `${option}: "${value}" is far too large`, {
      details: { field: option },
    });
  }
  return bytes;
}

export interface LaunchSizes {
  cpus: number;
  memoryBytes: number;
  diskBytes: number;
}

/** What the host allows: memory is checked against it, since QEMU would start and then be killed for it. */
export interface HostLimits {
  memoryBytes: number;
}

/**
 * Applies defaults, minimums and maximums (memory at most the host's, disk at most LIMITS.maxDiskBytes).
 * @throws SkiffError('invalid-argument') listing every problem, each naming its option.
 */
export function launchSizes(
  input: { cpus?: string | number; memory?: string; disk?: string },
  host: HostLimits,
): LaunchSizes {
  const problems: string[] = [];
  const attempt = (fn: () => number): number | null => {
    try {
      return fn();
    } catch (error) {
      problems.push((error as Error).message);
      return null;
    }
  };
  const cpus = input.cpus === undefined ? LIMITS.defaultCpus : Number(input.cpus);
  if (!Number.isInteger(cpus) || cpus < LIMITS.minCpus || cpus > LIMITS.maxCpus)
    problems.push(`--cpus: "${input.cpus}" is not a whole number from 1 to ${LIMITS.maxCpus}`);
  const memoryBytes =
    input.memory === undefined
      ? LIMITS.defaultMemoryBytes
      : attempt(() => parseSize('--memory', input.memory!));
  if (memoryBytes !== null) {
    if (memoryBytes < LIMITS.minMemoryBytes)
      problems.push(`--memory: ${input.memory} is below the minimum of 512M`);
    else if (memoryBytes > host.memoryBytes)
      problems.push(
        `--memory: ${input.memory} is more than this host's ${formatSize(host.memoryBytes)} of memory`,
      );
  }
  const diskBytes =
    input.disk === undefined ? LIMITS.defaultDiskBytes : attempt(() => parseSize('--disk', input.disk!));
  if (diskBytes !== null) {
    if (diskBytes < LIMITS.minDiskBytes) problems.push(`--disk: ${input.disk} is below the minimum of 1G`);
    else if (diskBytes > LIMITS.maxDiskBytes)
      problems.push(`--disk: ${input.disk} is above the maximum of ${formatSize(LIMITS.maxDiskBytes)}`);
  }
  if (problems.length > 0 || memoryBytes === null || diskBytes === null)
    throw new SkiffError('invalid-argument', problems.join('; '), { details: { problems } });
  return { cpus, memoryBytes, diskBytes };
}

/** A size in the largest binary unit that keeps one decimal, e.g. `15.6G`, `4T`. */
export function formatSize(bytes: number): string {
  for (const [unit, size] of [
    ['T', 2 ** 40],
    ['G', 2 ** 30],
    ['M', 2 ** 20],
    ['K', 2 ** 10],
  ] as const) {
    if (bytes >= size) return `${Math.round((bytes / size) * 10) / 10}${unit}`;
  }
  return `${bytes}B`;
}

const ADJECTIVES = [
  'brisk',
  'calm',
  'eager',
  'gentle',
  'jolly',
  'keen',
  'lively',
  'mellow',
  'nimble',
  'proud',
  'quiet',
  'rapid',
  'sunny',
  'tidy',
  'vivid',
  'witty',
];
const NOUNS = [
  'albatross',
  'badger',
  'cormorant',
  'dolphin',
  'egret',
  'falcon',
  'gannet',
  'heron',
  'ibis',
  'jackdaw',
  'kestrel',
  'lapwing',
  'merlin',
  'osprey',
  'puffin',
  'swift',
];

/** A Multipass-style petname (`lively-puffin`) not in `taken`. */
export function generateName(taken: Set<string>, random: () => number = Math.random): string {
  for (let i = 0; i < 1000; i++) {
    const name = `${ADJECTIVES[Math.floor(random() * ADJECTIVES.length)]}-${NOUNS[Math.floor(random() * NOUNS.length)]}`;
    if (!taken.has(name)) return name;
  }
  for (let n = 1; ; n++) if (!taken.has(`instance-${n}`)) return `instance-${n}`;
}
