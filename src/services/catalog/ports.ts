/**
 * @module What the catalog service needs from the outside world. Backends implement these; tests fake them.
 */
import type { CatalogSnapshot } from './types.js';

export interface ConditionalGetOptions {
  signal: AbortSignal;
  /** Validators of the copy we hold: the server may answer 304 instead of the body. */
  etag?: string | null;
  lastModified?: string | null;
  /**
   * The most bytes the body may have: a larger Content-Length fails at once, and a body that grows past it is
   * cut off there (CatalogFetchError cause `too-large`), so a hostile server costs at most this much memory.
   */
  maxBytes: number;
}

export type GetResult =
  | { notModified: true }
  | { notModified: false; body: Buffer; etag: string | null; lastModified: string | null };

/** HTTP GET for catalog files. Throws CatalogFetchError (cause class, URL, message) on any failure or non-2xx. */
export interface HttpGetter {
  get(url: string, options: ConditionalGetOptions): Promise<GetResult>;
  /** Drop pooled keep-alive connections: after a network change their path may be dead. */
  resetConnections(): void;
}

/** Tells when the host's network or resolver configuration changed. */
export interface NetworkWatcher {
  /** Starts watching; `onChange` gets a short reason such as `route` or `resolv.conf`. */
  start(onChange: (reason: string) => void): void;
  stop(): void;
}

/** Where last good catalogs persist (CatalogStore on disk; a Map in unit tests). */
export interface SnapshotStore {
  load(remote: string, url: string, onCorrupt: (error: unknown) => void): Promise<CatalogSnapshot | null>;
  save(snapshot: CatalogSnapshot): Promise<void>;
}
