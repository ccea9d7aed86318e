/**
 * @module The catalog's refresh schedule as the daemon is told it: defaults here, overrides from skiffd's
 * command line (options.ts), applied by the composition root (compose.ts).
 */
import { CATALOG_BACKOFF, type BackoffPolicy } from '../core/backoff.js';

export interface CatalogTuning {
  backoff: BackoffPolicy;
  refreshIntervalMs: number;
  attemptTimeoutMs: number;
  waitingRetryMs: number;
  watchNetwork: boolean;
  networkDebounceMs: number;
}

export const DEFAULT_TUNING: CatalogTuning = {
  backoff: CATALOG_BACKOFF,
  refreshIntervalMs: 15 * 60_000,
  attemptTimeoutMs: 60_000,
  waitingRetryMs: 5_000,
  watchNetwork: true,
  networkDebounceMs: 100,
};
