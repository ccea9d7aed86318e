/**
 * @module Daemon-level resources: version, remotes (read-only, never triggers a fetch), wait-ready.
 */
import type { FastifyInstance } from 'fastify';
import {
  PATHS,
  type RemotesResponse,
  type VersionResponse,
  type WaitReadyQuery,
  type WaitReadyResponse,
} from '../../api/contract.js';
import { remotesResponseSchema, waitReadyQuerySchema } from '../../api/schemas.js';
import { SkiffError } from '../../core/errors.js';
import { streamOperation } from '../ndjson.js';
import type { Services } from '../services.js';
import { remoteJson } from './remote-json.js';

const DEFAULT_WAIT_READY_S = 300;

export function registerDaemonRoutes(app: FastifyInstance, { version, catalog }: Services): void {
  app.get(PATHS.version, { schema: { summary: 'daemon version' } }, async (): Promise<VersionResponse> => ({
    skiffd: version,
  }));

  app.get(
    PATHS.remotes,
    {
      schema: {
        summary: 'image remotes and the state of their catalogs (reads only; never fetches)',
        response: { 200: remotesResponseSchema },
      },
    },
    async (): Promise<RemotesResponse> => ({ remotes: catalog.statuses().map(remoteJson) }),
  );

  app.get<{ Querystring: WaitReadyQuery }>(
    PATHS.waitReady,
    {
      schema: {
        summary: 'wait until every remote has a usable catalog (NDJSON progress stream)',
        querystring: waitReadyQuerySchema,
      },
    },
    (request, reply) =>
      streamOperation(request, reply, async ({ progress, signal }): Promise<WaitReadyResponse> => {
        const timeoutMs = (request.query.timeout ?? DEFAULT_WAIT_READY_S) * 1000;
        const result = await catalog.waitFor(catalog.names(), { timeoutMs, signal, onProgress: progress });
        if (result.failures.length > 0) {
          const reasons = result.failures.map(
            ({ remote, failure }) => `${remote} (${failure.url}): ${failure.message} [${failure.cause}]`,
          );
          throw new SkiffError(
            'timeout',
            `timed out after ${timeoutMs / 1000} s; not ready: ${reasons.join('; ')}`,
            {
              details: { remotes: catalog.statuses().map(remoteJson) },
            },
          );
        }
        return { ready: true, remotes: catalog.statuses().map(remoteJson) };
      }),
  );
}
