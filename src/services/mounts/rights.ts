/**
 * @module Who may mount what. The share is served by the daemon's side (root): the guest, where the user is
 * root, reaches everything under the source, whatever the modes inside say. So a user who is not root may
 * mount only a directory that is theirs (they own it, and may read and search it through every parent, checked
 * as them) and that neither is, holds nor lies inside a system tree (`/etc`, `/root`, the daemon's data...).
 * Root may mount anything. The path must already be resolved: a symlink anywhere in it is refused, since it
 * could be swapped between the check and the use.
 */
import { posix } from 'node:path';
import { SkiffError } from '../../core/errors.js';
import type { Caller, SourceAccess } from './ports.js';

/** Trees no one but root may share (or share a parent of). The daemon adds its data directory. */
export const SYSTEM_TREES: readonly string[] = [
  '/etc',
  '/root',
  '/boot',
  '/usr',
  '/bin',
  '/sbin',
  '/lib',
  '/lib32',
  '/lib64',
  '/libx32',
  '/proc',
  '/sys',
  '/dev',
  '/run',
  '/var/lib',
  '/var/log',
  '/var/spool',
  '/var/cache',
  '/var/backups',
  '/var/mail',
];

/** Whether `a` is `b`, or one lies inside the other. */
export function overlaps(a: string, b: string): boolean {
  const inside = (x: string, y: string) => x === y || x.startsWith(y === '/' ? '/' : `${y}/`);
  return inside(a, b) || inside(b, a);
}

const denied = (message: string, source: string) =>
  new SkiffError('permission-denied', message, { details: { field: 'source_path', source } });

/**
 * Checks that `caller` may share `source` (an absolute path as the CLI resolved it).
 * @returns the source (resolved, equal to what was sent)
 * @throws SkiffError invalid-argument (missing, not a directory), permission-denied (who may not, and why)
 */
export async function checkMountSource(
  access: SourceAccess,
  source: string,
  caller: Caller | null,
  protectedTrees: readonly string[],
): Promise<string> {
  if (!posix.isAbsolute(source) || posix.normalize(source) !== source || /[\0\n]/.test(source))
    throw new SkiffError('invalid-argument', `Source path "${source}" is not an absolute, normal path`, {
      details: { field: 'source_path' },
    });
  if (caller === null)
    throw denied(
      'cannot tell which user of this host is asking: a remote client (over TCP) has none, and a mount shares ' +
        "a host directory with that user's rights; run mount on the daemon's host (or no peer credentials " +
        'were readable on the socket)',
      source,
    );
  const resolved = await existing(source, () => access.resolve(source));
  if (resolved !== source)
    throw denied(
      `Source path "${source}" resolves to "${resolved}": a symbolic link in it is refused`,
      source,
    );
  const facts = await existing(source, () => access.inspect(source));
  if (!facts.directory)
    throw new SkiffError('invalid-argument', `Source path "${source}" is not a directory`, {
      details: { field: 'source_path' },
    });
  if (caller.uid === 0) return source;
  const tree = protectedTrees.find((t) => overlaps(source, t));
  if (tree !== undefined)
    throw denied(`only root may mount "${source}": it is, holds or lies in the system tree ${tree}`, source);
  if (facts.ownerUid !== caller.uid)
    throw denied(
      `only its owner (uid ${facts.ownerUid}) or root may mount "${source}" (you are uid ${caller.uid}): ` +
        'the guest would see everything under it',
      source,
    );
  if (!(await access.canRead(source, caller)))
    throw denied(`uid ${caller.uid} may not read "${source}"`, source);
  return source;
}

/** `look()`, with not-found said as Multipass says it. */
async function existing<T>(source: string, look: () => Promise<T>): Promise<T> {
  try {
    return await look();
  } catch (error) {
    if (error instanceof SkiffError && error.code === 'not-found')
      throw new SkiffError('invalid-argument', `Source path "${source}" does not exist`, {
        details: { field: 'source_path' },
        cause: error,
      });
    throw error;
  }
}
