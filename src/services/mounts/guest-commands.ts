/**
 * @module The shell lines the mounts service runs in a guest (over SSH, as the default user, with sudo). Each is
 * idempotent, so a daemon that restarts may run them again. Pure.
 */
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
