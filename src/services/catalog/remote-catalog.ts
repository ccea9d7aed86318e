/**
 * @module One remote's catalog: the last good snapshot, the refresh schedule (period on success, capped
 * exponential backoff with jitter on failure) and the outcome of the last attempt. A failed or malformed
 * refresh never touches the snapshot.
 */
import { EventEmitter } from 'node:events';
import { backoffDelayMs, type BackoffPolicy } from '../../core/backoff.js';
import type { Clock, Random, TimerHandle } from '../../core/clock.js';
import { deadlineSignal } from '../../core/deadline.js';
import { CatalogFetchError, FetchError, type FetchFailure } from '../../core/fetch-error.js';
import { CatalogDataError } from './data-error.js';
import type { HttpGetter, SnapshotStore } from './ports.js';
import { parseIndex, parseProducts } from './simplestreams.js';
import type { CatalogSnapshot } from './types.js';

/**
 * Caps on what one remote may make the daemon hold in memory. Ubuntu's `index.json` lists a few dozen
 * products files in tens of KB: 4 MiB is a hundred times that. Its largest products file
 * (`com.ubuntu.cloud:released:download.json`) is about 20 MB: 64 MiB leaves three times that, while a
 * hostile server can no longer push hundreds of MB into the daemon (a 200 MB index took it to 869 MB).
 */
export const MAX_INDEX_BYTES = 4 * 2 ** 20;
export const MAX_PRODUCTS_BYTES = 64 * 2 ** 20;

export type RemoteState = 'fresh' | 'stale' | 'unreachable' | 'pending';

export interface RefreshPolicy {
  backoff: BackoffPolicy;
  /** Period between refreshes after a success. */
  refreshIntervalMs: number;
  /** Hard deadline of one attempt (index + products), so no attempt can hang. */
  attemptTimeoutMs: number;
  /** While a request waits for this remote, retries come at least this often. */
  waitingRetryMs: number;
}

export interface RemoteStatus {
  name: string;
  url: string;
  state: RemoteState;
  lastSuccessMs: number | null;
  lastError: FetchFailure | null;
  nextAttemptMs: number | null;
  attempting: boolean;
  imageCount: number;
}

export interface RemoteCatalogDeps {
  clock: Clock;
  random: Random;
  http: HttpGetter;
  store: SnapshotStore;
  policy: RefreshPolicy;
  arch: string;
  log: { info(obj: object, msg: string): void; warn(obj: object, msg: string): void };
}

/** Events: `success` (snapshot), `failure` (failure, nextAttemptMs). */
export class RemoteCatalog extends EventEmitter {
  snapshot: CatalogSnapshot | null = null;
  /** False while the snapshot comes from disk and no attempt since start has confirmed it. */
  private confirmed = false;
  private lastError: FetchFailure | null = null;
  private failures = 0;
  private timer: TimerHandle | null = null;
  private nextAttemptMs: number | null = null;
  private inFlight: Promise<void> | null = null;
  private retryWhenDone = false;
  private waiters = 0;
  private stopped = false;

  constructor(
    readonly name: string,
    readonly url: string,
    private readonly deps: RemoteCatalogDeps,
  ) {
    super();
  }

  get indexUrl(): string {
    return `${this.url}streams/v1/index.json`;
  }

  /**
   * Loads the persisted snapshot (served at once, as stale) and starts the first attempt. Even a young
   * snapshot is revalidated now: after a restart nobody knows whether the network works, and a conditional
   * request costs a 304.
   */
  async init(): Promise<void> {
    const { store, log } = this.deps;
    this.snapshot = await store.load(this.name, this.url, (error) =>
      log.warn({ remote: this.name, err: error }, 'ignoring unreadable persisted catalog'),
    );
    void this.refreshNow('start');
  }

  /** Starts an attempt now, or joins the one in flight. Never rejects. */
  refreshNow(reason: string): Promise<void> {
    if (this.stopped) return Promise.resolve();
    if (this.inFlight) return this.inFlight;
    this.cancelTimer();
    this.inFlight = this.attempt(reason).finally(() => {
      this.inFlight = null;
      if (this.retryWhenDone && this.lastError && !this.stopped) {
        this.retryWhenDone = false;
        void this.refreshNow('network change during attempt');
      }
      this.retryWhenDone = false;
    });
    return this.inFlight;
  }

  /** The network changed: retry now unless fresh; an attempt in flight is retried when it fails. */
  onNetworkChange(): void {
    if (this.inFlight) this.retryWhenDone = true;
    else if (this.state() !== 'fresh') void this.refreshNow('network change');
  }

  /** A request starts or stops waiting for this remote; while one waits, retries come sooner. */
  addWaiter(delta: 1 | -1): void {
    this.waiters += delta;
    const { clock, policy } = this.deps;
    if (delta === 1 && !this.inFlight && this.nextAttemptMs !== null) {
      const soonest = clock.now() + policy.waitingRetryMs;
      if (this.nextAttemptMs > soonest) this.schedule(policy.waitingRetryMs);
    }
  }

  state(): RemoteState {
    if (!this.snapshot) return this.lastError ? 'unreachable' : 'pending';
    if (this.lastError || !this.confirmed) return 'stale';
    const age = this.deps.clock.now() - this.snapshot.fetchedAtMs;
    return age <= this.deps.policy.refreshIntervalMs + this.deps.policy.attemptTimeoutMs ? 'fresh' : 'stale';
  }

  status(): RemoteStatus {
    return {
      name: this.name,
      url: this.url,
      state: this.state(),
      lastSuccessMs: this.snapshot?.fetchedAtMs ?? null,
      lastError: this.lastError,
      nextAttemptMs: this.inFlight ? null : this.nextAttemptMs,
      attempting: this.inFlight !== null,
      imageCount: this.snapshot?.images.length ?? 0,
    };
  }

  get lastFailure(): FetchFailure | null {
    return this.lastError;
  }

  stop(): void {
    this.stopped = true;
    this.cancelTimer();
  }

  private async attempt(reason: string): Promise<void> {
    const { clock, policy, log } = this.deps;
    const deadline = deadlineSignal(clock, policy.attemptTimeoutMs);
    const { signal } = deadline;
    try {
      const snapshot = await this.fetchSnapshot(signal);
      // On disk first: whoever sees the remote fresh can rely on the catalog surviving a crash.
      await this.persist(snapshot);
      this.failures = 0;
      this.lastError = null;
      this.snapshot = snapshot;
      this.confirmed = true;
      log.info({ remote: this.name, reason, images: snapshot.images.length }, 'catalog refreshed');
      this.schedule(policy.refreshIntervalMs);
      this.emit('success', snapshot);
    } catch (error) {
      if (this.stopped) return;
      const failure = signal.aborted
        ? {
            cause: 'timeout' as const,
            url: this.indexUrl,
            message: `no complete answer within the attempt deadline of ${policy.attemptTimeoutMs / 1000} s`,
          }
        : toFailure(error, this.indexUrl);
      this.failures += 1;
      this.lastError = failure;
      let delayMs = backoffDelayMs(this.failures, policy.backoff, this.deps.random);
      if (this.waiters > 0) delayMs = Math.min(delayMs, policy.waitingRetryMs);
      this.schedule(delayMs);
      log.warn({ remote: this.name, reason, failure, retryInMs: delayMs }, 'catalog refresh failed');
      this.emit('failure', failure, clock.now() + delayMs);
    } finally {
      deadline.dispose();
    }
  }

  private async fetchSnapshot(signal: AbortSignal): Promise<CatalogSnapshot> {
    const { http, clock, arch } = this.deps;
    const index = await http.get(this.indexUrl, { signal, maxBytes: MAX_INDEX_BYTES });
    if (index.notModified)
      throw dataFailure('malformed', this.indexUrl, 'unexpected 304 for an unconditional request');
    const { productsUrl } = parseAt(this.indexUrl, () =>
      parseIndex(index.body.toString('utf8'), this.indexUrl),
    );
    const previous = this.snapshot?.productsUrl === productsUrl ? this.snapshot : null;
    const products = await http.get(productsUrl, {
      signal,
      maxBytes: MAX_PRODUCTS_BYTES,
      etag: previous?.etag ?? null,
      lastModified: previous?.lastModified ?? null,
    });
    if (products.notModified) {
      if (!previous) throw dataFailure('malformed', productsUrl, 'unexpected 304 without validators');
      return { ...previous, fetchedAtMs: clock.now() };
    }
    const images = parseAt(productsUrl, () =>
      parseProducts(products.body.toString('utf8'), { arch, baseUrl: this.url }),
    );
    return {
      remote: this.name,
      url: this.url,
      fetchedAtMs: clock.now(),
      etag: products.etag,
      lastModified: products.lastModified,
      productsUrl,
      images,
    };
  }

  private async persist(snapshot: CatalogSnapshot): Promise<void> {
    try {
      await this.deps.store.save(snapshot);
    } catch (error) {
      // The catalog is still good in memory; losing only its persistence is worth a warning, not a failure.
      this.deps.log.warn({ remote: this.name, err: error }, 'could not persist the catalog');
    }
  }

  private schedule(delayMs: number): void {
    this.cancelTimer();
    if (this.stopped) return;
    const { clock } = this.deps;
    this.nextAttemptMs = clock.now() + delayMs;
    this.timer = clock.setTimeout(() => {
      this.timer = null;
      void this.refreshNow('scheduled');
    }, delayMs);
  }

  private cancelTimer(): void {
    if (this.timer) this.deps.clock.clearTimeout(this.timer);
    this.timer = null;
    this.nextAttemptMs = null;
  }
}

function parseAt<T>(url: string, parse: () => T): T {
  try {
    return parse();
  } catch (error) {
    if (error instanceof CatalogDataError) throw dataFailure(error.kind, url, error.message, error);
    throw error;
  }
}

function dataFailure(
  kind: 'malformed' | 'empty',
  url: string,
  message: string,
  cause?: unknown,
): CatalogFetchError {
  return new CatalogFetchError({ cause: kind, url, message }, { cause });
}

function toFailure(error: unknown, fallbackUrl: string): FetchFailure {
  if (error instanceof FetchError) return error.failure;
  return {
    cause: 'network',
    url: fallbackUrl,
    message: error instanceof Error ? error.message : String(error),
  };
}
