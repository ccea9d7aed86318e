/**
 * @module What a mount request becomes once its source is checked: the entry the instance records (its type and
 * id maps chosen by who asks), and the share a driver is handed for it. Pure.
 */
import { SkiffError } from '../../core/errors.js';
import {
  GUEST_DEFAULT_ID,
  mountTag,
  mountTarget,
  type IdMap,
  type MountType,
} from '../../core/mount-spec.js';
import type { MountShare } from '../instances/ports.js';
import type { MountEntry } from '../instances/store.js';
import type { Caller } from './ports.js';

/** What `mount` asks for. */
export interface MountRequest {
  source: string;
  /** As typed (relative = under the default user's home); absent = the source's own path. */
  target?: string;
  /** Absent: native for root, classic for anyone else (see nativeRefusal). */
  type?: MountType;
  uidMap: IdMap[];
  gidMap: IdMap[];
}

/**
 * The entry for `request`, whose checked `source` and normal `target` are given, asked by `owner`. Classic, as
 * Multipass: unless told, the owner is the guest's default user inside. Native passes ids through unchanged
 * (QEMU 7.2's virtiofsd cannot translate them). @throws SkiffError permission-denied (nativeRefusal)
 */
export function mountEntry(request: MountRequest, source: string, target: string, owner: Caller): MountEntry {
  const type = request.type ?? (owner.uid === 0 ? 'native' : 'classic');
  if (type === 'native' && owner.uid !== 0) throw nativeRefusal(source, owner.uid);
  const defaults = (id: number, map: IdMap[]) =>
    type === 'classic' && map.length === 0
      ? [{ host: id, guest: GUEST_DEFAULT_ID }]
      : map.map((m) => ({ ...m }));
  return {
    source,
    target,
    type,
    uidMap: defaults(owner.uid, request.uidMap),
    gidMap: defaults(owner.gid, request.gidMap),
    tag: mountTag(target),
    owner: { ...owner },
  };
}

/**
 * Why a user who is not root gets no native mount: its host side is root's (virtiofsd, or QEMU's 9p, keep the
 * ids the guest writes), so the guest, where the user is root, could leave a setuid-root program in the source
 * for the user to run on the host. A classic mount's host side runs as the user, and can make only the user's.
 */
function nativeRefusal(source: string, uid: number): SkiffError {
  return new SkiffError(
    'permission-denied',
    `native mounts are served by root, so a guest could leave setuid-root files in "${source}": only root may ` +
      `make them; as uid ${uid}, use --type classic (served with your own rights; the default for you)`,
    { details: { field: 'type', source } },
  );
}

/** The share a driver is handed for a native entry (a member's directory must still be theirs when opened). */
export const shareOf = (entry: MountEntry): MountShare => ({
  tag: entry.tag,
  source: entry.source,
  uidMap: entry.uidMap,
  gidMap: entry.gidMap,
  ...(entry.owner !== undefined && entry.owner.uid !== 0 && { ownerUid: entry.owner.uid }),
});

/** The target as umount names it: absolute and normal (a relative one is under the default user's home). */
export function normalTarget(target: string): string {
  try {
    return mountTarget('/', target);
  } catch {
    return target;
  }
}
