/**
 * @module `clone`: copies a stopped instance under a new name (NDJSON: copying a disk takes a while).
 */
import type { FastifyInstance } from 'fastify';
import { PATHS, type ActionResponse, type CloneBody, type InstanceParams } from '../../api/contract.js';
import { cloneBodySchema, instanceParamsSchema } from '../../api/schemas.js';
import { streamOperation } from '../ndjson.js';
import type { Services } from '../services.js';

export function registerCloneRoutes(app: FastifyInstance, { instances }: Services): void {
  app.post<{ Params: InstanceParams; Body: CloneBody }>(
    `${PATHS.instances}/:name/clone`,
    {
      schema: {
        summary: 'clone a stopped instance: a full, independent copy with its own identity (NDJSON)',
        params: instanceParamsSchema,
        body: cloneBodySchema,
      },
    },
    (request, reply) =>
      streamOperation(request, reply, async ({ progress }) => {
        progress(`Cloning ${request.params.name}`);
        const clone = await instances.clone(request.params.name, request.body?.name);
        return { name: clone.name, state: clone.state } satisfies ActionResponse;
      }),
  );
}
