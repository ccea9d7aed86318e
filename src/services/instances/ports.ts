/**
 * @module What the instances service needs from the outside: images, seeds, ports. The VM backend and the
 * guest shell contracts live in backends/vm.ts.
 */
import type { ImageSource } from '../vault/types.js';
import type { DownloadProgress } from '../vault/ports.js';

export type { ImageSource, ImageUpload } from '../vault/types.js';
export type { DownloadProgress } from '../vault/ports.js';

export interface AcquiredImage {
  /** sha256 of the stored file. */
  id: string;
  path: string;
  sizeBytes: number;
  /** Where it came from: offline, the vault may serve an older cached version of the product asked for. */
  source?: { kind: string; version?: string; releaseTitle?: string };
}

/** The image vault as the instances service sees it. */
export interface ImageStore {
  acquire(
    source: ImageSource,
    instance: string,
    options: { signal?: AbortSignal; onProgress?: (p: DownloadProgress) => void },
  ): Promise<AcquiredImage>;
  release(id: string, instance: string): Promise<void>;
}

export interface SeedRequest {
  dir: string;
  instanceId: string;
  hostname: string;
  authorizedKeys: string[];
  /** The user's `--cloud-init` text (any user-data format cloud-init reads), already validated. */
  userData: string | null;
  /** The MAC of the instance's NIC, which the seed's network-config matches. */
  mac: string;
  /** The guest's SSH host key pair, which cloud-init installs. */
  hostKey: GuestHostKey;
}

/** An SSH host key pair for a guest (OpenSSH formats). */
export interface GuestHostKey {
  privateKey: string;
  /** One line, `ssh-ed25519 AAAA... comment`. */
  publicKey: string;
}

/** Makes a fresh host key pair for the guest of `name`, kept in `dir`. */
export type HostKeyMaker = (dir: string, name: string) => Promise<GuestHostKey>;

/** Writes the NoCloud seed ISO of an instance. */
export interface SeedWriter {
  /** @throws SkiffError('invalid-argument') when the user-data would fail in the guest. */
  validate(userData: string): Promise<void>;
  /** @returns the host key the guest will present (`ssh-ed25519 AAAA...`), to pin; null when unknown. */
  write(request: SeedRequest): Promise<{ hostPublicKey: string | null }>;
}

/** The daemon's SSH identity for guests. */
export interface SshIdentity {
  user: string;
  privateKeyPath: string;
  publicKey: string;
}

/** A free TCP port on 127.0.0.1 for the SSH forward. */
export type PortAllocator = () => Promise<number>;
