/**
 * @module The vault's data model: where an image comes from and what the cache holds.
 */
import type { Readable } from 'node:stream';
import type { ImageInfo } from '../catalog/types.js';

/** Where an image comes from. */
export type ImageSource =
  /** A catalog image: the download is verified against `image.sha256`. */
  | { kind: 'catalog'; remote: string; image: ImageInfo }
  /** An `http(s)://` URL; no checksum is known, so it is trusted as served. */
  | { kind: 'url'; url: string }
  /** Bytes a client sends (`launch file://...`), maybe `.xz` or `.gz` (decompressed on import). */
  | ImageUpload;

/**
 * An image a client uploads. The daemon never opens a path a client names: the CLI opens the file with its
 * user's own rights and sends the bytes, so a group member cannot make root read a file they could not.
 */
export interface ImageUpload {
  kind: 'upload';
  /** Unique per upload (uploads are never merged: each brings its own bytes). */
  id: string;
  /** The client's file name, shown only; its suffix (`.xz`, `.gz`) picks the decompression. */
  name: string;
  /** The size the client declared; exactly this many bytes must arrive. */
  sizeBytes: number;
  /** The client's mtime of the file, shown only. */
  mtimeMs: number;
  /** Called once, when the vault is ready to receive: resolves with the bytes as they arrive. */
  open(signal?: AbortSignal): Promise<Readable>;
}

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
