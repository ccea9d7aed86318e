/**
 * @module The shell lines the mounts service runs in a guest (over SSH, as the default user, with sudo). Each is
 * idempotent, so a daemon that restarts may run them again. Pure.
 */
import type { IdMap } from '../../core/mount-spec.js';
import type { MountTransport } from '../instances/ports.js';

/** Single-quoted for sh. */
export const shellQuote = (text: string) => `'${text.replaceAll("'", `'\\''`)}'`;

const OPTIONS: Record<MountTransport, string> = {
  virtiofs: '-t virtiofs',
  '9p': '-t 9p -o trans=virtio,version=9p2000.L,msize=262144',
};

/** `target` as /proc/mounts writes it (space, tab, newline and backslash as octal escapes). */
const procMountsPath = (target: string) =>
  target.replace(/[\\ \t\n]/g, (c) => `\\${c.charCodeAt(0).toString(8).padStart(3, '0')}`);

/**
 * Exits 0 when something is mounted at `target`: read from /proc/mounts with awk (busybox has it; `mountpoint`
 * is util-linux's, absent from minimal guests). The path goes in as ARGV, which awk does not unescape.
 */
export function mountedTest(target: string): string {
  return (
    `awk 'BEGIN { t = ARGV[1]; ARGV[1] = "" } $2 == t { found = 1 } END { exit !found }' ` +
    `${shellQuote(procMountsPath(target))} /proc/mounts`
  );
}

/** Makes the mount point and mounts the share there, unless something is mounted there already. */
export function mountCommand(transport: MountTransport, tag: string, target: string): string {
  const t = shellQuote(target);
  return `sudo mkdir -p ${t} && { ${mountedTest(target)} || sudo mount ${OPTIONS[transport]} ${shellQuote(tag)} ${t}; }`;
}

/** Unmounts whatever is at `target` (nothing when nothing is). */
export function umountCommand(target: string): string {
  return `! ${mountedTest(target)} || sudo umount ${shellQuote(target)}`;
}

/** Exits 0 when the guest has sshfs (classic mounts need it). */
export const SSHFS_PROBE = 'command -v sshfs >/dev/null';

/** Where a classic mount's id-map files live in the guest. */
const SSHFS_RUN_DIR = '/run/skiff-sshfs';

export interface ClassicMount {
  source: string;
  target: string;
  tag: string;
  uidMap: readonly IdMap[];
  gidMap: readonly IdMap[];
}

/**
 * The guest side of a classic mount: the mount point made, a stale mount there (its feed gone) lazily
 * unmounted, the id maps written as sshfs's `idmap=file` wants them (names read from /etc/passwd and /etc/group
 * with awk: minimal guests have no getent) (`GUEST-NAME:HOST-ID`: sshfs shows host
 * id HOST as the guest's id named GUEST-NAME, and maps it back on chown), then sshfs in slave mode, speaking
 * SFTP on the session's stdin and stdout. It runs until unmounted.
 */
export function sshfsCommand(mount: ClassicMount): string {
  const t = shellQuote(mount.target);
  const files = (kind: 'uid' | 'gid') => `${SSHFS_RUN_DIR}/${mount.tag}.${kind}`;
  const lines = (db: 'passwd' | 'group', map: readonly IdMap[]) =>
    map.map(
      (m) =>
        `n=$(awk -F: '$3 == ${m.guest} { print $1; exit }' /etc/${db}); [ -n "$n" ] || { echo "no ${db === 'passwd' ? 'user' : 'group'} ` +
        `with id ${m.guest} in the guest" >&2; exit 2; }; echo "$n:${m.host}"`,
    );
  // Through a variable: a failed lookup inside $(...) stops the script (set -e), inside a pipe it would not.
  const mapFile = (kind: 'uid' | 'gid', db: 'passwd' | 'group', map: readonly IdMap[]) =>
    `m=$(${lines(db, map).join('; ')})\nprintf '%s\\n' "$m" | sudo tee ${files(kind)} >/dev/null`;
  const maps = mount.uidMap.length + mount.gidMap.length > 0;
  const options = ['slave', 'allow_other'];
  if (maps) options.push('idmap=file', `uidfile=${files('uid')}`, `gidfile=${files('gid')}`, 'nomap=ignore');
  return [
    'set -e',
    `sudo mkdir -p ${t} ${SSHFS_RUN_DIR}`,
    `if ${mountedTest(mount.target)}; then sudo umount -l ${t}; fi`,
    ...(maps ? [mapFile('uid', 'passwd', mount.uidMap), mapFile('gid', 'group', mount.gidMap)] : []),
    `exec sudo sshfs -o ${options.join(',')} ${shellQuote(`:${mount.source}`)} ${t}`,
  ].join('\n');
}

/** Exits 0 when a working mount is at `target` (a dead SSHFS answers stat with an error). */
export function healthyMountTest(target: string): string {
  return `${mountedTest(target)} && timeout 10 stat -t ${shellQuote(target)} >/dev/null 2>&1`;
}
