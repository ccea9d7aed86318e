/**
 * @module The image vault: a content-addressed cache of base images (`images/<sha256>.img`) with an index of
 * where each came from and which instances use it. Downloads resume, are shared between concurrent callers,
 * and are verified inline; a file an instance uses is never pruned or replaced.
 */
import { mkdir, rm } from 'node:fs/promises';
import type { Clock } from '../../core/clock.js';
import { SkiffError } from '../../core/errors.js';
import { FetchError } from '../../core/fetch-error.js';
import { writeJsonAtomic } from '../persist/atomic-json.js';
import { installImage } from './install.js';
import { sourceKey, VaultLayout } from './layout.js';
import type { DownloadProgress, Downloader, ImageInspector } from './ports.js';
import { DEFAULT_MAX_UNUSED_MS, isNewer, newestPerProduct, selectPrunable } from './prune.js';
import { encodeIndex, INDEX_SCHEMA, type ImageRecord } from './records.js';
import { loadIndex, reconcilePartials, removeIndexTemps } from './reconcile.js';
import { SharedDownloads, type Waiter } from './shared-downloads.js';
import type { ImageSource, VaultImage, VaultLog } from './types.js';

export interface VaultDeps {
  /** The vault's directory; it holds nothing else. */
  dir: string;
  downloader: Downloader;
  /** Says what a downloaded image is: one that names other host files is refused. */
  inspector: ImageInspector;
  clock: Clock;
  log: VaultLog;
}

export interface AcquireOptions {
  signal?: AbortSignal;
  onProgress?: (progress: DownloadProgress) => void;
}

/** The image cache. Call `init()` once before anything else. */
export class Vault {
  readonly layout: VaultLayout;
  readonly #deps: VaultDeps;
  readonly #records = new Map<string, ImageRecord>();
  readonly #downloads: SharedDownloads<ImageRecord>;
  #saving: Promise<void> = Promise.resolve();
  #ready = false;

  constructor(deps: VaultDeps) {
    this.#deps = deps;
    this.layout = new VaultLayout(deps.dir);
    this.#downloads = new SharedDownloads((record, users) => this.#installed(record, users));
  }

  /**
   * Loads the index and reconciles it with the disk: entries whose file is gone are dropped, files the index
   * lost are adopted, temp files are deleted, resumable partial downloads are kept.
   */
  async init(): Promise<void> {
    const { layout } = this;
    const { log } = this.#deps;
    await mkdir(layout.imagesDir, { recursive: true });
    await mkdir(layout.partialDir, { recursive: true });
    await removeIndexTemps(layout);
    const loaded = await loadIndex(layout, this.#deps.clock.now(), log);
    for (const record of loaded.records) this.#records.set(record.id, record);
    // A partial whose image is installed already was left by a crash just before its cleanup.
    const installed = new Set(
      [...this.#records.values()].map((r) => ('sha256' in r.source ? r.source.sha256 : r.id)),
    );
    const resumable = await reconcilePartials(layout, log, {
      obsolete: (sidecar) => sidecar.expectedSha256 !== null && installed.has(sidecar.expectedSha256),
    });
    if (resumable.length > 0) log.info({ partials: resumable.length }, 'kept partial downloads to resume');
    this.#ready = true;
    if (loaded.changed) await this.#save();
  }

  /**
   * Returns the cached image for `source`, downloading it first when absent, and records `instance` as a user.
   * A cached image needs no network. Concurrent calls for one source share one download (each gets progress).
   * When the network fails, a catalog image falls back to the newest cached version of the same product.
   * @throws DownloadError 'download-failed' (network or HTTP; a resumable partial is kept), SkiffError
   * 'checksum-mismatch' (download deleted), 'invalid-argument' (an upload of the wrong size, a corrupt archive),
   * 'disk-full'.
   */
  async acquire(source: ImageSource, instance: string, options: AcquireOptions = {}): Promise<VaultImage> {
    this.#assertReady();
    if (instance === '') throw new SkiffError('invalid-argument', 'acquire needs an instance name');
    options.signal?.throwIfAborted();
    const cached = await this.#lookup(source);
    if (cached !== null) return this.#use(cached, instance);
    try {
      return this.#view(await this.#download(source, { instance, ...options }));
    } catch (error) {
      const fallback =
        error instanceof FetchError && !options.signal?.aborted ? this.#fallback(source) : null;
      if (fallback === null) throw error;
      this.#deps.log.warn(
        {
          wanted: source.kind === 'catalog' ? source.image.version : null,
          using: fallback.id,
          cause: (error as Error).message,
        },
        'cannot download the newest image; using the cached previous version',
      );
      return this.#use(fallback, instance);
    }
  }

  /** Forgets `instance` as a user of image `id` (the instance was deleted or purged). Unknown ids are ignored. */
  async release(id: string, instance: string): Promise<void> {
    this.#assertReady();
    const record = this.#records.get(id);
    if (record === undefined || !record.usedBy.includes(instance)) return;
    record.usedBy = record.usedBy.filter((name) => name !== instance);
    // It was in use until now: the unused period starts here.
    record.lastUsedMs = this.#deps.clock.now();
    await this.#save();
  }

  /** Sets every image's users to exactly those given (the instance store is the truth after a crash). */
  async reconcileUsers(uses: Iterable<{ id: string; instance: string }>): Promise<void> {
    this.#assertReady();
    const byId = new Map<string, Set<string>>();
    for (const { id, instance } of uses) {
      if (!this.#records.has(id))
        this.#deps.log.warn({ id, instance }, 'an instance uses an image the vault lacks');
      byId.set(id, (byId.get(id) ?? new Set()).add(instance));
    }
    let changed = false;
    const now = this.#deps.clock.now();
    for (const record of this.#records.values()) {
      const next = [...(byId.get(record.id) ?? [])].sort();
      if (next.join('\0') === [...record.usedBy].sort().join('\0')) continue;
      if (next.length < record.usedBy.length) record.lastUsedMs = now;
      record.usedBy = next;
      changed = true;
    }
    if (changed) await this.#save();
  }

  /** The cached images, oldest first. */
  list(): VaultImage[] {
    return [...this.#records.values()]
      .sort((a, b) => a.fetchedAtMs - b.fetchedAtMs || (a.id < b.id ? -1 : 1))
      .map((record) => this.#view(record));
  }

  /**
   * Removes images no instance uses that were unused longer than `maxUnusedMs` (default 14 days), and partial
   * downloads not attempted for as long.
   */
  async prune(options: { maxUnusedMs?: number } = {}): Promise<VaultImage[]> {
    this.#assertReady();
    const now = this.#deps.clock.now();
    const maxUnusedMs = options.maxUnusedMs ?? DEFAULT_MAX_UNUSED_MS;
    const selected = selectPrunable(this.#records.values(), { nowMs: now, maxUnusedMs });
    // Abandoned partial downloads (no attempt for as long) go too; running ones are never touched.
    await reconcilePartials(this.layout, this.#deps.log, {
      active: new Set(this.#downloads.keys()),
      obsolete: (sidecar) => now - sidecar.startedAtMs > maxUnusedMs,
    });
    if (selected.length === 0) return [];
    const removed = selected.map((record) => this.#view(record));
    for (const record of selected) this.#records.delete(record.id);
    // Index first: it must never name a file that is gone.
    await this.#save();
    for (const image of removed) {
      await rm(image.path, { force: true });
      this.#deps.log.info({ id: image.id, sizeBytes: image.sizeBytes }, 'pruned an unused image');
    }
    return removed;
  }

  /**
   * Downloads the newest version of each cached catalog product when `resolve` (the current catalog's answer
   * for it) names a version not cached yet. Old files stay until pruned. Failures are logged, not thrown.
   * @returns the images fetched.
   */
  async refresh(
    resolve: (image: VaultImage) => Promise<ImageSource | null>,
    options: { signal?: AbortSignal } = {},
  ): Promise<VaultImage[]> {
    this.#assertReady();
    const fetched: VaultImage[] = [];
    for (const record of newestPerProduct(this.#records.values())) {
      options.signal?.throwIfAborted();
      try {
        const next = await resolve(this.#view(record));
        if (next === null || (await this.#lookup(next)) !== null) continue;
        this.#deps.log.info({ from: record.id }, 'refreshing image to a newer version');
        fetched.push(this.#view(await this.#download(next, { instance: null, signal: options.signal })));
      } catch (error) {
        if (options.signal?.aborted) throw error;
        this.#deps.log.warn(
          { id: record.id, err: error },
          'image refresh failed; will retry on the next one',
        );
      }
    }
    return fetched;
  }

  /** The cached image for a source, with no network access; null when absent. */
  async #lookup(source: ImageSource): Promise<ImageRecord | null> {
    const records = [...this.#records.values()];
    switch (source.kind) {
      case 'catalog': {
        const sha = source.image.sha256.toLowerCase();
        return records.find((r) => r.id === sha || ('sha256' in r.source && r.source.sha256 === sha)) ?? null;
      }
      case 'url':
        return records.find((r) => r.source.kind === 'url' && r.source.url === source.url) ?? null;
      case 'upload':
        // Never looked up by the client's name or dates, which it could claim for any bytes: identical bytes
        // are stored once all the same (finalize keeps the file already named by their sha256).
        return null;
      default: {
        const unknown: never = source;
        throw new Error(`unknown image source ${JSON.stringify(unknown)}`);
      }
    }
  }

  /** The newest cached version of the same catalog product as `source`, for offline fallback. */
  #fallback(source: ImageSource): ImageRecord | null {
    if (source.kind !== 'catalog') return null;
    let best: ImageRecord | null = null;
    for (const record of this.#records.values()) {
      const origin = record.source;
      if (
        origin.kind !== 'catalog' ||
        origin.remote !== source.remote ||
        origin.product !== source.image.product
      )
        continue;
      if (best === null || isNewer(record, best)) best = record;
    }
    return best;
  }

  #download(source: ImageSource, waiter: Waiter): Promise<ImageRecord> {
    const key = sourceKey(source);
    const deps = { ...this.#deps, layout: this.layout };
    return this.#downloads.join(key, (options) => installImage(deps, key, source, options), waiter);
  }

  /** Records a finished download with the instances that waited for it, then saves the index. */
  async #installed(record: ImageRecord, users: string[]): Promise<ImageRecord> {
    const stored = this.#record(record);
    const now = this.#deps.clock.now();
    for (const name of users) if (!stored.usedBy.includes(name)) stored.usedBy.push(name);
    if (users.length > 0) stored.lastUsedMs = now;
    await this.#save();
    return stored;
  }

  /** Adds a freshly installed record, merging with one for the same bytes (its users are kept). */
  #record(record: ImageRecord): ImageRecord {
    const existing = this.#records.get(record.id);
    if (existing === undefined) {
      this.#records.set(record.id, record);
      return record;
    }
    if (existing.source.kind === 'unknown') existing.source = record.source;
    existing.lastUsedMs = Math.max(existing.lastUsedMs, record.lastUsedMs);
    return existing;
  }

  async #use(record: ImageRecord, instance: string): Promise<VaultImage> {
    if (!record.usedBy.includes(instance)) record.usedBy.push(instance);
    record.lastUsedMs = this.#deps.clock.now();
    await this.#save();
    return this.#view(record);
  }

  #view(record: ImageRecord): VaultImage {
    return {
      ...record,
      path: this.layout.image(record.id),
      usedBy: [...record.usedBy].sort(),
      source: structuredClone(record.source),
    };
  }

  /** Writes the index; writes are serialised so a later state never loses to an earlier one. */
  #save(): Promise<void> {
    const next = this.#saving
      .catch(() => undefined)
      .then(() => writeJsonAtomic(this.layout.index, INDEX_SCHEMA, encodeIndex(this.#records.values())));
    this.#saving = next;
    return next;
  }

  #assertReady(): void {
    if (!this.#ready) throw new SkiffError('internal', 'the image vault was used before init()');
  }
}
