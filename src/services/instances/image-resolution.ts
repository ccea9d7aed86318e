/**
 * @module Turns what the user typed after `launch` into an image source: a URL, a file, or a catalog image
 * (release remote first, then daily), waiting for a missing catalog as `find` does.
 */
import { isSkiffError, SkiffError } from '../../core/errors.js';
import type { CatalogService } from '../catalog/catalog-service.js';
import { resolveImage, splitRemote } from '../catalog/query.js';
import type { ImageSource } from './ports.js';

export interface ResolveOptions {
  timeoutMs: number;
  signal?: AbortSignal;
  onProgress?: (message: string) => void;
}

export async function resolveImageSource(
  catalog: CatalogService,
  query: string,
  options: ResolveOptions,
): Promise<ImageSource> {
  if (/^https?:\/\//i.test(query)) return { kind: 'url', url: query };
  if (query.startsWith('file://')) {
    const path = decodeURIComponent(new URL(query).pathname);
    return { kind: 'file', path };
  }
  const { remote, name } = splitRemote(query.trim());
  const known = catalog.names();
  if (remote !== null && !known.includes(remote)) {
    throw new SkiffError('not-found', `remote "${remote}" is unknown (known remotes: ${known.join(', ')})`);
  }
  const order = remote !== null ? [remote] : known;
  let notFound: SkiffError | null = null;
  for (const candidate of order) {
    // A held catalog (even stale) answers at once; a missing one is fetched now and waited for.
    const snapshot =
      catalog.snapshot(candidate) ??
      (await catalog.waitFor([candidate], options)).snapshots.find((s) => s.remote === candidate) ??
      null;
    if (!snapshot) continue;
    try {
      return { kind: 'catalog', remote: candidate, image: resolveImage(snapshot.images, name) };
    } catch (error) {
      if (!isSkiffError(error) || error.code !== 'not-found') throw error;
      notFound ??= error;
    }
  }
  throw notFound ?? new SkiffError('not-found', `no image matching "${query}"`);
}
