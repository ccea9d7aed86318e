/**
 * @module The `find` use case: pick the remotes a query needs, wait for their catalogs, pick the rows to show.
 */
import { SkiffError } from '../../core/errors.js';
import type { CatalogService } from './catalog-service.js';
import { buildFindView, type FindRow } from './find-view.js';
import { splitRemote } from './query.js';
import { ageText } from '../../core/age.js';

export interface FindOptions {
  query: string;
  showUnsupported: boolean;
  forceUpdate: boolean;
  timeoutMs: number;
  signal?: AbortSignal;
  onProgress?: (message: string) => void;
}

export interface FindResult {
  errors: string[];
  warnings: string[];
  /** In display order, each key once. */
  rows: FindRow[];
}

/** @throws SkiffError('timeout') when no needed remote has a catalog by the deadline; 'not-found' for an unknown remote. */
export async function findImages(catalog: CatalogService, options: FindOptions): Promise<FindResult> {
  const remote = requestedRemote(options.query, catalog.names());
  const names = remote ? [remote] : catalog.names();
  const waited = await catalog.waitFor(names, {
    timeoutMs: options.timeoutMs,
    force: options.forceUpdate,
    partial: true,
    signal: options.signal,
    onProgress: options.onProgress,
  });
  const rows = buildFindView({
    remotes: waited.snapshots.map((s) => ({ remote: s.remote, images: s.images })),
    query: options.query,
    showUnsupported: options.showUnsupported,
  });
  const errors = waited.failures.map(
    ({ remote: name, failure }) =>
      `${options.forceUpdate ? 'could not refresh' : 'no catalog for'} remote "${name}" (${failure.url}): ${failure.message} [${failure.cause}]`,
  );
  const now = waited.atMs;
  const warnings = waited.stale
    .filter((s) => !waited.failures.some((f) => f.remote === s.name))
    .map((s) => {
      const reason = s.lastError
        ? `; last refresh failed: ${s.lastError.message} [${s.lastError.cause}]`
        : '';
      return `catalog of remote "${s.name}" is stale (fetched ${ageText(now - (s.lastSuccessMs ?? now))} ago${reason})`;
    });
  return { errors, warnings, rows };
}

/** The remote a query names (`daily:noble`), checked against the known ones. */
function requestedRemote(query: string, remotes: string[]): string | null {
  const { remote } = splitRemote(query.trim());
  if (remote !== null && !remotes.includes(remote)) {
    throw new SkiffError('not-found', `remote "${remote}" is unknown (known remotes: ${remotes.join(', ')})`);
  }
  return remote;
}
