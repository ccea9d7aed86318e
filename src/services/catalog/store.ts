/**
 * @module The last good catalog of each remote on disk: one file per (remote, URL), written atomically.
 * Keyed by URL too, so switching `local.image.mirror` back and forth never serves one host's catalog for another.
 */
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { loadJson, writeJsonAtomic } from '../persist/atomic-json.js';
import type { SnapshotStore } from './ports.js';
import type { CatalogSnapshot } from './types.js';

const SCHEMA = 1;

export class CatalogStore implements SnapshotStore {
  constructor(private readonly dir: string) {}

  /** The persisted snapshot for this remote and URL, or null. A corrupt file is treated as absent (and reported). */
  async load(
    remote: string,
    url: string,
    onCorrupt: (error: unknown) => void,
  ): Promise<CatalogSnapshot | null> {
    try {
      const snapshot = await loadJson<CatalogSnapshot>(this.pathFor(remote, url), SCHEMA);
      return snapshot && snapshot.remote === remote && snapshot.url === url ? snapshot : null;
    } catch (error) {
      onCorrupt(error);
      return null;
    }
  }

  async save(snapshot: CatalogSnapshot): Promise<void> {
    await writeJsonAtomic(this.pathFor(snapshot.remote, snapshot.url), SCHEMA, snapshot);
  }

  private pathFor(remote: string, url: string): string {
    const key = createHash('sha256').update(url).digest('hex').slice(0, 12);
    return join(this.dir, `${remote}-${key}.json`);
  }
}
