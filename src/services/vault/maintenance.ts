/**
 * @module The vault's upkeep on a schedule: every 6 hours, fetch the newer image for the alias each cached
 * image was fetched by, then prune what no instance used for 14 days. A failing step is logged; the other
 * step and the next pass still run.
 */
import type { Clock, TimerHandle } from '../../core/clock.js';
import type { NewestImageLookup } from './ports.js';
import type { ImageSource, VaultImage, VaultLog } from './types.js';
import type { Vault } from './vault.js';

/** Period between two passes, counted from the end of the previous one. */
export const MAINTENANCE_EVERY_MS = 6 * 60 * 60_000;

export interface VaultMaintenanceDeps {
  vault: Pick<Vault, 'refresh' | 'prune'>;
  catalog: NewestImageLookup;
  clock: Clock;
  log: VaultLog;
  /** Defaults to MAINTENANCE_EVERY_MS. */
  everyMs?: number;
}

/** Runs refresh + prune every `everyMs`; the first pass comes one period after `start()`. */
export class VaultMaintenance {
  readonly #deps: VaultMaintenanceDeps;
  #timer: TimerHandle | null = null;
  #stopped = false;

  constructor(deps: VaultMaintenanceDeps) {
    this.#deps = deps;
  }

  /** Schedules the first pass. Calling it again, or after stop(), does nothing. */
  start(): void {
    if (this.#timer === null && !this.#stopped) this.#schedule();
  }

  /** Cancels the next pass; a pass under way finishes, and none follows it. */
  stop(): void {
    this.#stopped = true;
    if (this.#timer !== null) this.#deps.clock.clearTimeout(this.#timer);
    this.#timer = null;
  }

  /** One pass now: refresh, then prune. Never rejects. */
  async runOnce(): Promise<void> {
    const { vault, catalog, log } = this.#deps;
    await vault
      .refresh(async (image) => newerSource(catalog, image))
      .catch((error: unknown) => log.warn({ err: error }, 'image refresh failed'));
    await vault.prune().catch((error: unknown) => log.warn({ err: error }, 'image prune failed'));
  }

  #schedule(): void {
    const { clock, everyMs = MAINTENANCE_EVERY_MS } = this.#deps;
    this.#timer = clock.setTimeout(() => {
      this.#timer = null;
      void this.runOnce().finally(() => {
        if (!this.#stopped) this.#schedule();
      });
    }, everyMs);
  }
}

/**
 * What to fetch for a cached image: the catalog's current image for the first alias it was fetched by, when
 * that is another image; null when it is the same, or when there is nothing to compare with (not from a
 * catalog, fetched by id, no catalog held yet, the alias gone).
 * @throws SkiffError('not-found') from the lookup for a remote the catalog no longer knows.
 */
export function newerSource(catalog: NewestImageLookup, image: VaultImage): ImageSource | null {
  const origin = image.source;
  if (origin.kind !== 'catalog' || origin.aliases.length === 0) return null;
  const newest = catalog.newestImage(origin.remote, origin.aliases[0]!);
  if (newest === null || newest.sha256 === origin.sha256) return null;
  return { kind: 'catalog', remote: origin.remote, image: newest };
}
