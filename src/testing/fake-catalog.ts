/**
 * @module For tests: a CatalogService on fakes (clock, HTTP, store), with the daemon's policy and no network
 * watcher unless one is given.
 */
import { CATALOG_BACKOFF } from '../core/backoff.js';
import { CatalogService } from '../services/catalog/catalog-service.js';
import type { NetworkWatcher } from '../services/catalog/ports.js';
import type { FakeClock } from './fake-clock.js';
import type { FakeHttp, MemoryStore } from './fake-http.js';

export function catalogOnFakes(options: {
  clock: FakeClock;
  http: FakeHttp;
  store: MemoryStore;
  log?: { info(obj: object, msg: string): void; warn(obj: object, msg: string): void };
  watcher?: NetworkWatcher | null;
  attemptTimeoutMs?: number;
}): CatalogService {
  return new CatalogService({
    clock: options.clock,
    random: () => 0.5,
    http: options.http,
    store: options.store,
    policy: {
      backoff: CATALOG_BACKOFF,
      refreshIntervalMs: 15 * 60_000,
      attemptTimeoutMs: options.attemptTimeoutMs ?? 60_000,
      waitingRetryMs: 5_000,
    },
    arch: 'amd64',
    log: options.log ?? { info: () => undefined, warn: () => undefined },
    watcher: options.watcher ?? null,
    networkDebounceMs: 100,
  });
}
