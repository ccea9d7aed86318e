/**
 * @module The vault's data model: where an image comes from and what the cache holds.
 */
import type { ImageInfo } from '../catalog/types.js';

/** Where an image comes from. */
export type ImageSource =
  /** A catalog image: the download is verified against `image.sha256`. */
  | { kind: 'catalog'; remote: string; image: ImageInfo }
  /** An `http(s)://` URL; no checksum is known, so it is trusted as served. */
  | { kind: 'url'; url: string }
  /** A local file, maybe `.xz` or `.gz` (decompressed on import). */
  | { kind: 'file'; path: string };

/** Where a cached image came from, as JSON (kept in the index and shown by `skiff images`). */
export type ImageOrigin =
  | {
      kind: 'catalog';
      remote: string;
      product: string;
      release: string;
      releaseTitle: string;
      codename: string;
      version: string;
      aliases: string[];
      url: string;
      /** sha256 of the downloaded bytes (the catalog's checksum; differs from the id when compressed). */
      sha256: string;
    }
  | { kind: 'url'; url: string; sha256: string }
  | { kind: 'file'; path: string; sizeBytes: number; mtimeMs: number }
  /** Found in the images folder without an index entry (e.g. the index was lost); kept, never guessed. */
  | { kind: 'unknown' };

/** One image in the cache. Its file is immutable once final and named by its sha256. */
export interface VaultImage {
  /** sha256 (hex) of the stored (decompressed) file. */
  id: string;
  /** Absolute path of the final file. */
  path: string;
  sizeBytes: number;
  source: ImageOrigin;
  fetchedAtMs: number;
  lastUsedMs: number;
  /** Names of the instances whose disks are based on this image. */
  usedBy: string[];
}

/** A logger in pino's argument order. */
export interface VaultLog {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
}
