/**
 * @module What the vault needs from the outside world: a downloader that streams a URL (or bytes a client
 * uploads) into a file with sha256 computed inline, and decompresses `.xz`/`.gz` (`backends/http/downloader.ts`);
 * an inspector that says what an image file is (`backends/qemu/img.ts`); the catalog's current image for an
 * alias (the catalog service), which scheduled upkeep compares cached images with. Unit tests fake them all.
 */
import type { Readable } from 'node:stream';
import type { ImageFacts } from '../../core/image-safety.js';
import type { ImageInfo } from '../catalog/types.js';

export type { ImageFacts } from '../../core/image-safety.js';

/** Reads an image file's format and the files it names (`qemu-img info`), without opening those files. */
export interface ImageInspector {
  /** @throws SkiffError('internal') when the file cannot be read as an image at all. */
  inspect(path: string): Promise<ImageFacts>;
}

/** Progress of one transfer; `bytes` includes bytes resumed from a partial file, `rateBytesPerS` does not. */
export interface DownloadProgress {
  bytes: number;
  totalBytes: number | null;
  rateBytesPerS: number;
  etaS: number | null;
}

/** What a response said about the bytes it carries, before any of them is written. */
export interface FetchStart {
  /** Strong ETag of the resource, or null when the server sent none (or only a weak one). */
  etag: string | null;
  lastModified: string | null;
  /** Size of the whole resource when known. */
  totalBytes: number | null;
  /** Bytes of `dest` kept (206) — 0 when the transfer starts over. */
  resumedFromBytes: number;
}

export interface FetchRequest {
  /** `http://` or `https://` (never `file://`: the daemon opens no path it is handed). */
  url: string;
  /** The partial file: created, appended to (resume) or truncated (start over). */
  dest: string;
  /**
   * Resume from the bytes already in `dest` with `Range` + `If-Range: <ifRange>` (an ETag or Last-Modified of
   * the version those bytes came from). Null or absent: start from zero.
   */
  resume?: { ifRange: string } | null;
  signal?: AbortSignal;
  /**
   * The most bytes the whole file may have (the size a catalog states for it). A response that announces
   * more fails before any byte is written, and one that sends more is cut there: DownloadError `too-large`.
   */
  maxBytes?: number | null;
  onProgress?: (progress: DownloadProgress) => void;
  /**
   * Awaited once the response headers arrived, after `dest` was truncated for a fresh start and before any
   * byte is written, so the caller can persist what it needs to resume later (the validators).
   */
  onStart?: (start: FetchStart) => void | Promise<void>;
}

export interface FetchResult {
  /** sha256 (hex) of the whole `dest` file, the resumed prefix included. */
  sha256: string;
  sizeBytes: number;
  /** Bytes kept from an earlier attempt. */
  resumedFromBytes: number;
  /** Bytes received over the wire (or copied) by this call. */
  transferredBytes: number;
  etag: string | null;
  lastModified: string | null;
}

/** Bytes arriving from a client (an upload), to be written to `dest` from zero. */
export interface ReceiveRequest {
  input: Readable;
  /** The client's name for the bytes, for messages. */
  name: string;
  /** Exactly this many bytes must arrive; fewer or more is an error. */
  sizeBytes: number;
  dest: string;
  signal?: AbortSignal;
  onProgress?: (progress: DownloadProgress) => void;
}

export type Compression = 'xz' | 'gz';

export interface DecompressRequest {
  src: string;
  /** What the user knows the bytes as (a URL, their file name), for messages; default `src`. */
  name?: string;
  format: Compression;
  /** Written from scratch (not resumable: a decompressor's state cannot be resumed mid-stream). */
  dest: string;
  signal?: AbortSignal;
  /** Progress counts compressed bytes read out of `src`. */
  onProgress?: (progress: DownloadProgress) => void;
  /**
   * The most bytes the output may have (the room left on the disk): past it, decompression stops with a
   * SkiffError whose details.reason is `too-large`, before the disk fills.
   */
  maxBytes?: number;
}

/** How big a compressed file becomes, as its format records it. */
export interface ExpandedSize {
  bytes: number;
  /**
   * False when the format cannot say for sure (gzip records the size modulo 4 GiB, and only of its last
   * member): `bytes` is then the smallest size consistent with the file, and `maxBytes` is the real guard.
   */
  exact: boolean;
}

export interface DecompressResult {
  /** sha256 (hex) of the decompressed output. */
  sha256: string;
  sizeBytes: number;
}

/**
 * Streams sources into files with sha256 computed inline (no second pass over the data).
 * `fetch` throws DownloadError (cause class + URL) on network and HTTP failures, SkiffError('invalid-argument')
 * for a scheme other than http(s), the signal's reason on abort, and the raw fs error (e.g. `ENOSPC`) when
 * writing fails.
 */
export interface Downloader {
  fetch(request: FetchRequest): Promise<FetchResult>;
  /** Writes an upload into `dest` with its sha256. @throws SkiffError('invalid-argument') on a size mismatch. */
  receive(request: ReceiveRequest): Promise<{ sha256: string; sizeBytes: number }>;
  decompress(request: DecompressRequest): Promise<DecompressResult>;
  /** The size `src` decompresses to, read from the file without decompressing it. */
  expandedSize(src: string, format: Compression): Promise<ExpandedSize>;
}

/** The catalog's answer for an alias as it stands now (the catalog service implements it). */
export interface NewestImageLookup {
  /**
   * The image `alias` names in the catalog `remote` holds now; null when that remote has no catalog yet or the
   * alias names no image there.
   * @throws SkiffError('not-found') for a remote the catalog does not know.
   */
  newestImage(remote: string, alias: string): ImageInfo | null;
}
