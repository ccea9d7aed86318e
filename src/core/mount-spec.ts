/**
 * @module The words of `skiff mount` and `umount`, as Multipass reads them: `NAME[:PATH]`, `-t native|classic`,
 * `-u/-g HOST:GUEST`, and where a mount lands in the guest (a relative PATH is under the default user's home;
 * none = the source's own absolute path). Shared by the CLI (to fail before the daemon is asked) and the mounts
 * service (which checks again). Pure.
 */
import { createHash } from 'node:crypto';
import { posix } from 'node:path';
import { SkiffError } from './errors.js';

/** native: virtiofs (or 9p) through the VM driver; classic: SSHFS over the SSH connection (Multipass's). */
export type MountType = 'native' | 'classic';
export const MOUNT_TYPES: readonly MountType[] = ['native', 'classic'];

/** One host id shown to the guest as another. */
export interface IdMap {
  host: number;
  guest: number;
}

/** The uid and gid of the guest's default user (`ubuntu`), which Multipass's JSON calls `default`. */
export const GUEST_DEFAULT_ID = 1000;
/** Where relative targets land: the default user's home. */
export const GUEST_HOME = '/home/ubuntu';
/** Ids are 32-bit; (uid_t)-1 means "no change" to the kernel. */
const MAX_ID = 0xfffffffe;

/** `-t`: @throws SkiffError invalid-argument with Multipass's message */
export function parseMountType(text: string): MountType {
  const type = text.toLowerCase();
  if (type === 'native' || type === 'classic') return type;
  throw new SkiffError(
    'invalid-argument',
    `Bad mount type '${text}' specified, please use 'classic' or 'native'`,
    { details: { field: 'type' } },
  );
}

/** One `-u`/`-g` value, `HOST:GUEST`. @throws SkiffError invalid-argument with Multipass's message */
export function parseIdMap(text: string, kind: 'UID' | 'GID'): IdMap {
  const match = /^([0-9]+):([0-9]+)$/.exec(text);
  const host = Number(match?.[1]);
  const guest = Number(match?.[2]);
  if (match === null || host > MAX_ID || guest > MAX_ID)
    throw new SkiffError('invalid-argument', `Invalid ${kind} map given: ${text}`, {
      details: { field: kind === 'UID' ? 'uid_mappings' : 'gid_mappings' },
    });
  return { host, guest };
}

/** `NAME[:PATH]`: the instance and the path as typed (undefined when absent or empty). */
export function splitMountPoint(text: string): { name: string; target?: string } {
  const colon = text.indexOf(':');
  const name = colon === -1 ? text : text.slice(0, colon);
  const target = colon === -1 ? '' : text.slice(colon + 1);
  if (name === '')
    throw new SkiffError('invalid-argument', `"${text}": an instance name is needed before ":"`, {
      details: { field: 'target' },
    });
  return target === '' ? { name } : { name, target };
}

/** Guest paths a mount may never cover: `/`, the kernel's trees, and the default user's home itself. */
const INVALID_TARGET = /^(\/|\/(dev|proc|sys)(\/.*)?|\/home|\/home\/ubuntu)$/;

/**
 * Where the mount lands in the guest: `target` made absolute (a relative one under /home/ubuntu) and normal,
 * or the source's own path when none is given. @throws SkiffError invalid-argument (Multipass's message)
 */
export function mountTarget(source: string, target?: string): string {
  const raw = target ?? source;
  if (raw.includes('\0') || raw.includes('\n'))
    throw new SkiffError('invalid-argument', `unable to mount to "${raw}"`, { details: { field: 'target' } });
  const absolute = posix.normalize(posix.isAbsolute(raw) ? raw : posix.join(GUEST_HOME, raw));
  const normal = absolute.length > 1 ? absolute.replace(/\/+$/, '') : absolute;
  if (INVALID_TARGET.test(normal))
    throw new SkiffError('invalid-argument', `unable to mount to "${normal}"`, {
      details: { field: 'target' },
    });
  return normal;
}

/** The guest-side tag of the share at `target`: stable for the target, within [a-z0-9-]{1,31}. */
export function mountTag(target: string): string {
  return `skiff-${createHash('sha256').update(target).digest('hex').slice(0, 20)}`;
}

/** `1000:default` as Multipass's JSON shows it (the guest's default user has no number there). */
export function idMapLabel(map: IdMap): string {
  return `${map.host}:${map.guest === GUEST_DEFAULT_ID ? 'default' : map.guest}`;
}

/** One `launch --mount SOURCE[:TARGET]`: split at the first `:`. */
export function splitLaunchMount(spec: string): { source: string; target?: string } {
  const colon = spec.indexOf(':');
  const source = colon === -1 ? spec : spec.slice(0, colon);
  const target = colon === -1 ? '' : spec.slice(colon + 1);
  if (source === '')
    throw new SkiffError('invalid-argument', `--mount ${spec}: a source directory is needed`, {
      details: { field: 'mounts' },
    });
  return target === '' ? { source } : { source, target };
}
