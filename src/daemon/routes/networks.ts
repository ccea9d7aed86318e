/**
 * @module `skiff networks`: the host interfaces `launch --network` accepts, in Multipass's JSON shape.
 */
import type { FastifyInstance } from 'fastify';
import { PATHS, type NetworksResponse } from '../../api/contract.js';
import { networksResponseSchema } from '../../api/schemas.js';
import type { Services } from '../services.js';

export function registerNetworkRoutes(app: FastifyInstance, { instances }: Services): void {
  app.get(
    PATHS.networks,
    {
      schema: {
        summary: 'host interfaces usable for launch --network: bridges and ethernet devices, sorted by name',
        response: { 200: networksResponseSchema },
      },
    },
    async (): Promise<NetworksResponse> => ({
      list: (await instances.networks()).map(({ name, type, description }) => ({ name, type, description })),
    }),
  );
}
