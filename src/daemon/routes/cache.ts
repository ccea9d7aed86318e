/**
 * @module The image cache (`skiff images`): what is cached, how big, how old, used by which instances.
 */
import type { FastifyInstance } from 'fastify';
import { PATHS, type CachedImageJson } from '../../api/contract.js';
import type { Services } from '../services.js';

export function registerCacheRoutes(app: FastifyInstance, { vault }: Services): void {
  app.get(
    PATHS.cachedImages,
    { schema: { summary: 'cached images' } },
    async (): Promise<{ images: CachedImageJson[] }> => ({
      images: vault.list().map((image) => ({
        id: image.id,
        path: image.path,
        size_bytes: image.sizeBytes,
        source: image.source,
        fetched_at: new Date(image.fetchedAtMs).toISOString(),
        last_used: new Date(image.lastUsedMs).toISOString(),
        used_by: image.usedBy,
      })),
    }),
  );
}
