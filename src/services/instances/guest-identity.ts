/**
 * @module How the daemon knows it talks to the real guest: each instance gets its own ed25519 SSH host key at
 * launch (handed to cloud-init in the seed, `ssh_keys`), pinned in a known_hosts under an alias. These files
 * are the service's, kept apart from the driver's storage (one directory per instance under `identityDir`).
 * Instances launched before skiff pinned keys have no key on record: their first contact learns it
 * (accept-new), and it is pinned from then on.
 */
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { knownHostsLine, type PinnedHostKey } from '../../core/ssh-args.js';

/** Files of an instance's identity directory. */
export const IDENTITY_FILES = {
  /** The guest's host key pair (private key; `.pub` beside it). */
  hostKey: 'ssh_host_ed25519_key',
  /** The pinned host key, under the alias. */
  knownHosts: 'known_hosts',
} as const;

/** The name the host key is pinned under (stable across boots, unlike the forwarded port). */
export const hostKeyAlias = (name: string): string => `skiff-instance-${name}`;

/** The pin for an instance in `dir`; `publicKey` null: none on record, learn the first one. */
export function pinnedHostKey(dir: string, name: string, publicKey: string | null): PinnedHostKey {
  return {
    knownHostsFile: join(dir, IDENTITY_FILES.knownHosts),
    alias: hostKeyAlias(name),
    ...(publicKey === null ? { learn: true } : {}),
  };
}

/** Writes the instance's known_hosts pinning `publicKey` (atomically enough: ssh only reads it). */
export async function writeKnownHosts(dir: string, name: string, publicKey: string): Promise<void> {
  await mkdir(dir, { recursive: true, mode: 0o700 });
  await writeFile(join(dir, IDENTITY_FILES.knownHosts), knownHostsLine(hostKeyAlias(name), publicKey), {
    mode: 0o600,
  });
}

/** Forgets an instance's identity (its directory). Never throws. */
export async function removeGuestIdentity(dir: string): Promise<void> {
  await rm(dir, { recursive: true, force: true }).catch(() => undefined);
}
