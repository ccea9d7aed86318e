/**
 * @module `find`: images of the remotes' catalogs, waiting (with a deadline and live progress) for a remote
 * that has no catalog yet.
 */
import type { FastifyInstance } from 'fastify';
import { PATHS, type FindQuery, type FindResponse } from '../../api/contract.js';
import { findQuerySchema } from '../../api/schemas.js';
import { findImages } from '../../services/catalog/find.js';
import { streamOperation } from '../ndjson.js';
import type { Services } from '../services.js';
import { findJson } from './find-json.js';

const DEFAULT_FIND_TIMEOUT_S = 60;

export function registerImageRoutes(app: FastifyInstance, { catalog }: Services): void {
  app.get<{ Querystring: FindQuery }>(
    PATHS.images,
    {
      schema: {
        summary: 'find images (NDJSON progress stream, then Multipass find JSON)',
        querystring: findQuerySchema,
      },
    },
    (request, reply) =>
      streamOperation(request, reply, async ({ progress, signal }): Promise<FindResponse> =>
        findJson(
          await findImages(catalog, {
            query: request.query.query ?? '',
            showUnsupported: request.query.show_unsupported ?? false,
            forceUpdate: request.query.force_update ?? false,
            timeoutMs: (request.query.timeout ?? DEFAULT_FIND_TIMEOUT_S) * 1000,
            signal,
            onProgress: progress,
          }),
        ),
      ),
  );
}
