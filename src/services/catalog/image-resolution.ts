/**
 * @module Turns what the user typed after `launch` into an image source: a URL or a catalog image (release
 * remote first, then daily), waiting for a missing catalog as `find` does. A `file://` path is refused: the
 * daemon runs as root and never opens a path a client names (`skiff launch file://...` uploads the file).
 * CatalogImageResolver is what the instances service's ImageResolver port gets from the composition root.
 */
import { isSkiffError, SkiffError } from '../../core/errors.js';
import type { ImageSource } from '../vault/types.js';
import type { CatalogService } from './catalog-service.js';
import { resolveImage, splitRemote } from './query.js';

export interface ResolveOptions {
  timeoutMs: number;
  signal?: AbortSignal;
  onProgress?: (message: string) => void;
}

/** The checks of an image argument that need no catalog, for validation before anything is made. */
export function checkImageQuery(query: string): void {
  if (/^https?:\/\//i.test(query)) return;
  if (/^file:/i.test(query.trim())) throw fileRefused();
  splitRemote(query.trim());
}

/** skiffd opens no path a client names: the CLI reads a local image as its user and uploads it. */
function fileRefused(): SkiffError {
  return new SkiffError(
    'invalid-argument',
    'image: skiffd does not open local paths named in a request; `skiff launch file://PATH` reads the file ' +
      'with your own rights and uploads it',
    { details: { field: 'image' } },
  );
}

/** The catalog as the instances service's image resolver. */
export class CatalogImageResolver {
  constructor(private readonly catalog: CatalogService) {}
  check(query: string): void {
    checkImageQuery(query);
  }
  resolve(query: string, options: ResolveOptions): Promise<ImageSource> {
    return resolveImageSource(this.catalog, query, options);
  }
}

export async function resolveImageSource(
  catalog: CatalogService,
  query: string,
  options: ResolveOptions,
): Promise<ImageSource> {
  if (/^https?:\/\//i.test(query)) return { kind: 'url', url: query };
  if (/^file:/i.test(query.trim())) throw fileRefused();
  const { remote, name } = splitRemote(query.trim());
  const known = catalog.names();
  if (remote !== null && !known.includes(remote)) {
    throw new SkiffError('not-found', `remote "${remote}" is unknown (known remotes: ${known.join(', ')})`);
  }
  const order = remote !== null ? [remote] : known;
  let notFound: SkiffError | null = null;
  const search = (candidate: string): ImageSource | null => {
    const snapshot = catalog.snapshot(candidate);
    if (!snapshot) return null;
    try {
      return { kind: 'catalog', remote: candidate, image: resolveImage(snapshot.images, name) };
    } catch (error) {
      if (!isSkiffError(error) || error.code !== 'not-found') throw error;
      notFound ??= error;
      return null;
    }
  };
  // Held catalogs (even stale) answer at once, in order, as far as the first remote without one.
  for (const candidate of order) {
    if (!catalog.snapshot(candidate)) break;
    const found = search(candidate);
    if (found) return found;
  }
  if (order.every((candidate) => catalog.snapshot(candidate))) throw noMatch(query, notFound, []);
  // Missing catalogs are fetched now. Once some remote has one, a remote whose attempt fails is not waited
  // out (`partial`): "no image matches" is the answer then, not a wait on a remote that may never answer.
  const waited = await catalog.waitFor(order, { ...options, partial: true });
  for (const candidate of order) {
    const found = search(candidate);
    if (found) return found;
  }
  throw noMatch(query, notFound, waited.failures);
}

/** The not-found error, saying which remotes could not be searched and why. */
function noMatch(
  query: string,
  notFound: SkiffError | null,
  failures: Array<{ remote: string; failure: { message: string } }>,
): SkiffError {
  const unsearched = failures.map((f) => `${f.remote} (${f.failure.message})`);
  const base = notFound?.message ?? `no image matching "${query}"`;
  return new SkiffError(
    'not-found',
    unsearched.length === 0
      ? base
      : `${base}; not searched, the catalog could not be read: ${unsearched.join(', ')}`,
    { details: notFound?.details ?? { query } },
  );
}
