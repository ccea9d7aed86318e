/**
 * @module All remotes' catalogs: creates them from the mirror setting, reacts to network changes with a
 * debounced immediate retry, and lets requests wait for a catalog with a deadline and live progress.
 */
import { EventEmitter } from 'node:events';
import type { TimerHandle } from '../../core/clock.js';
import { deadlineSignal } from '../../core/deadline.js';
import { SkiffError } from '../../core/errors.js';
import type { FetchFailure } from '../../core/fetch-error.js';
import type { HttpGetter, NetworkWatcher } from './ports.js';
import { RemoteCatalog, type RemoteCatalogDeps, type RemoteStatus } from './remote-catalog.js';
import { resolveImage } from './query.js';
import type { RemoteSpec } from './remotes.js';
import type { CatalogSnapshot, ImageInfo } from './types.js';

export interface CatalogServiceDeps extends RemoteCatalogDeps {
  http: HttpGetter & { close?(): Promise<void> };
  /** null when the network should not be watched (a baseline policy in benchmarks). */
  watcher: NetworkWatcher | null;
  networkDebounceMs: number;
}

export interface WaitOptions {
  timeoutMs: number;
  /** Refetch now even when a catalog is held; report failures instead of waiting them out. */
  force?: boolean;
  signal?: AbortSignal;
  onProgress?: (message: string) => void;
  /**
   * Answer as soon as one named remote has a catalog: the others get one attempt now, and their failures are
   * reported rather than waited out (find). Without it, every named remote is waited for (wait-ready).
   */
  partial?: boolean;
}

export interface WaitResult {
  snapshots: CatalogSnapshot[];
  /** Remotes that could not be used (or, with force, not refreshed), with the reason. */
  failures: Array<{ remote: string; failure: FetchFailure }>;
  /** Remotes answered from a catalog that is not fresh. */
  stale: RemoteStatus[];
  /** When the answer was made, on the service's clock: how old a stale catalog is counts from here. */
  atMs: number;
}

export class CatalogService {
  private remotes: RemoteCatalog[] = [];
  /** Emits `change` whenever any remote's refresh succeeds or fails. */
  private readonly changes = new EventEmitter();
  private debounce: TimerHandle | null = null;

  constructor(private readonly deps: CatalogServiceDeps) {
    // One listener per waiting request: many may wait at once.
    this.changes.setMaxListeners(0);
  }

  /** (Re)configures the remotes; unchanged ones keep their state, changed ones load their own persisted catalog. */
  async configure(specs: RemoteSpec[]): Promise<void> {
    const kept: RemoteCatalog[] = [];
    const created: RemoteCatalog[] = [];
    for (const spec of specs) {
      const existing = this.remotes.find((r) => r.name === spec.name && r.url === spec.url);
      if (existing) kept.push(existing);
      else {
        const remote = new RemoteCatalog(spec.name, spec.url, this.deps);
        remote.on('success', () => this.changes.emit('change'));
        remote.on('failure', () => this.changes.emit('change'));
        created.push(remote);
      }
    }
    for (const old of this.remotes) if (!kept.includes(old)) old.stop();
    const next = specs.map((s) => [...kept, ...created].find((r) => r.name === s.name)!);
    this.remotes = next;
    await Promise.all(created.map((r) => r.init()));
  }

  start(): void {
    this.deps.watcher?.start((reason) => this.onNetworkChange(reason));
  }

  async stop(): Promise<void> {
    this.deps.watcher?.stop();
    if (this.debounce) this.deps.clock.clearTimeout(this.debounce);
    for (const r of this.remotes) r.stop();
    await this.deps.http.close?.();
  }

  names(): string[] {
    return this.remotes.map((r) => r.name);
  }

  statuses(): RemoteStatus[] {
    return this.remotes.map((r) => r.status());
  }

  /** Snapshot of one remote without waiting, or null. */
  snapshot(name: string): CatalogSnapshot | null {
    return this.remote(name).snapshot;
  }

  /**
   * The image `alias` names in the catalog `name` holds now, with no waiting; null when there is no catalog yet
   * or the alias names no image there (the vault's upkeep compares cached images with it).
   * @throws SkiffError('not-found') for an unknown remote.
   */
  newestImage(name: string, alias: string): ImageInfo | null {
    const snapshot = this.snapshot(name);
    if (!snapshot) return null;
    try {
      return resolveImage(snapshot.images, alias);
    } catch (error) {
      if (error instanceof SkiffError) return null;
      throw error;
    }
  }

  /**
   * Catalogs of the named remotes. A remote with a catalog answers at once (stale ones are reported as such);
   * one without triggers an attempt now and is waited for until the deadline, with progress messages.
   * @throws SkiffError('timeout') when no named remote has a catalog by the deadline.
   */
  async waitFor(names: string[], options: WaitOptions): Promise<WaitResult> {
    const remotes = names.map((n) => this.remote(n));
    const deadline = deadlineSignal(this.deps.clock, options.timeoutMs, options.signal);
    try {
      const outcomes = await Promise.all(
        remotes.map((r) =>
          this.waitOne(
            r,
            remotes.filter((o) => o !== r),
            options,
            deadline.signal,
          ),
        ),
      );
      const failures = outcomes.flatMap((o, i) => (o ? [{ remote: remotes[i]!.name, failure: o }] : []));
      const snapshots = remotes.flatMap((r) => (r.snapshot ? [r.snapshot] : []));
      if (snapshots.length === 0) {
        if (options.signal?.aborted) throw new SkiffError('timeout', 'request cancelled');
        throw new SkiffError('timeout', timeoutMessage(remotes, options.timeoutMs), {
          details: { remotes: remotes.map((r) => r.status()) },
        });
      }
      const stale = remotes.filter((r) => r.snapshot && r.state() !== 'fresh').map((r) => r.status());
      return { snapshots, failures, stale, atMs: this.deps.clock.now() };
    } finally {
      deadline.dispose();
    }
  }

  /** Resolves with null when the remote is usable, or with why it is not (deadline reached, forced refresh failed). */
  private async waitOne(
    remote: RemoteCatalog,
    others: RemoteCatalog[],
    options: WaitOptions,
    deadline: AbortSignal,
  ): Promise<FetchFailure | null> {
    if (options.force) {
      await raceAbort(remote.refreshNow('forced by request'), deadline);
      if (remote.lastFailure && !remote.status().attempting) return remote.lastFailure;
      if (remote.status().attempting) return remote.lastFailure ?? timedOutFailure(remote);
    }
    if (remote.snapshot) return null;
    remote.addWaiter(1);
    const progress = (failure: FetchFailure, nextMs: number) => {
      const inS = Math.max(0, Math.round((nextMs - this.deps.clock.now()) / 1000));
      options.onProgress?.(
        `waiting for ${remote.name} (${failure.url}): ${failure.message}, retrying in ${inS} s`,
      );
    };
    try {
      const last = remote.lastFailure;
      options.onProgress?.(
        last
          ? `waiting for ${remote.name} (${last.url}): ${last.message}, retrying now`
          : `waiting for ${remote.name} (${remote.indexUrl}): fetching the image catalog`,
      );
      remote.on('failure', progress);
      // Done when this remote has a catalog; with `partial`, also once its own attempt failed while another
      // named remote has one: what can be shown is shown, and the failure is reported instead of waited out.
      let attemptFailed = false;
      let settle = () => {};
      const usable = new Promise<void>((resolve) => (settle = resolve));
      const check = () => {
        const othersUsable = others.some((r) => r.snapshot !== null);
        if (remote.snapshot || (options.partial && attemptFailed && othersUsable)) settle();
      };
      this.changes.on('change', check);
      void remote.refreshNow('request waiting').then(() => {
        attemptFailed = remote.snapshot === null;
        check();
      });
      await raceAbort(usable, deadline);
      this.changes.off('change', check);
      return remote.snapshot ? null : (remote.lastFailure ?? timedOutFailure(remote));
    } finally {
      remote.off('failure', progress);
      remote.addWaiter(-1);
    }
  }

  private onNetworkChange(reason: string): void {
    const { clock, networkDebounceMs, log } = this.deps;
    if (this.debounce) clock.clearTimeout(this.debounce);
    this.debounce = clock.setTimeout(() => {
      this.debounce = null;
      const waiting = this.remotes.filter((r) => r.state() !== 'fresh').map((r) => r.name);
      log.info({ reason, retrying: waiting }, 'network changed');
      this.deps.http.resetConnections();
      for (const r of this.remotes) r.onNetworkChange();
    }, networkDebounceMs);
  }

  private remote(name: string): RemoteCatalog {
    const remote = this.remotes.find((r) => r.name === name);
    if (!remote) {
      throw new SkiffError(
        'not-found',
        `remote "${name}" is unknown (known remotes: ${this.names().join(', ')})`,
      );
    }
    return remote;
  }
}

function timedOutFailure(remote: RemoteCatalog): FetchFailure {
  return { cause: 'timeout', url: remote.indexUrl, message: 'no answer before the deadline' };
}

function timeoutMessage(remotes: RemoteCatalog[], timeoutMs: number): string {
  const reasons = remotes.map((r) => {
    const f = r.lastFailure ?? timedOutFailure(r);
    return `${r.name} (${f.url}): ${f.message} [${f.cause}]`;
  });
  return `timed out after ${Math.round(timeoutMs / 1000)} s waiting for the image catalog of ${reasons.join('; ')}`;
}

/** Resolves when `promise` settles or `signal` aborts, whichever is first (the promise is not cancelled). */
function raceAbort(promise: Promise<unknown>, signal: AbortSignal): Promise<void> {
  if (signal.aborted) return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => {
      signal.removeEventListener('abort', done);
      resolve();
    };
    signal.addEventListener('abort', done, { once: true });
    promise.then(done, done);
  });
}
