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

/** Makes the mount point and mounts the share there, unless something is mounted there already. */
export function mountCommand(transport: MountTransport, tag: string, target: string): string {
  const t = shellQuote(target);
  return `sudo mkdir -p ${t} && { mountpoint -q ${t} || sudo mount ${OPTIONS[transport]} ${shellQuote(tag)} ${t}; }`;
}

/** Unmounts whatever is at `target` (nothing when nothing is). */
export function umountCommand(target: string): string {
  const t = shellQuote(target);
  return `! mountpoint -q ${t} || sudo umount ${t}`;
}

/** Exits 0 when the guest has sshfs (classic mounts need it). */
export const SSHFS_PROBE = 'command -v sshfs >/dev/null';
