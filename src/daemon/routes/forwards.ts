/**
 * @module Port forwards: list (all, or one instance's), add, remove. The caller's uid (for host ports below
 * 1024) is read from the socket only when a rule needs it.
 */
import type { FastifyInstance } from 'fastify';
import {
  PATHS,
  type AddForwardBody,
  type ForwardJson,
  type ForwardParams,
  type ForwardsResponse,
  type InstanceParams,
} from '../../api/contract.js';
import { addForwardBodySchema, forwardParamsSchema, instanceParamsSchema } from '../../api/schemas.js';
import { DEFAULT_FORWARD_ADDRESS } from '../../core/forward-rule.js';
import type { ForwardView } from '../../services/forwards/forwards-service.js';
import type { Services } from '../services.js';

const forwardJson = (view: ForwardView): ForwardJson => ({
  instance: view.instance,
  protocol: view.protocol,
  host_address: view.hostAddress,
  host_port: view.hostPort,
  guest_port: view.guestPort,
  active: view.active,
});

export function registerForwardRoutes(app: FastifyInstance, { forwards, callerUid }: Services): void {
  app.get(
    PATHS.forwards,
    { schema: { summary: "every instance's port forwards" } },
    async (): Promise<ForwardsResponse> => ({ forwards: (await forwards.list()).map(forwardJson) }),
  );

  app.get<{ Params: InstanceParams }>(
    `${PATHS.instances}/:name/forwards`,
    { schema: { summary: "an instance's port forwards", params: instanceParamsSchema } },
    async (request): Promise<ForwardsResponse> => ({
      forwards: (await forwards.list(request.params.name)).map(forwardJson),
    }),
  );

  app.post<{ Params: InstanceParams; Body: AddForwardBody }>(
    `${PATHS.instances}/:name/forwards`,
    {
      schema: {
        summary: 'forward a host port to the instance (carried while it runs)',
        params: instanceParamsSchema,
        body: addForwardBodySchema,
      },
    },
    async (request, reply): Promise<ForwardJson> => {
      const body = request.body;
      const view = await forwards.add(
        request.params.name,
        {
          protocol: body.protocol ?? 'tcp',
          hostAddress: body.host_address ?? DEFAULT_FORWARD_ADDRESS,
          hostPort: body.host_port,
          guestPort: body.guest_port,
        },
        () => callerUid(request.raw.socket),
      );
      void reply.status(201);
      return forwardJson(view);
    },
  );

  app.delete<{ Params: ForwardParams }>(
    `${PATHS.instances}/:name/forwards/:protocol/:host_address/:host_port`,
    { schema: { summary: 'stop and forget a port forward', params: forwardParamsSchema } },
    async (request): Promise<ForwardJson> => {
      const { name, protocol, host_address, host_port } = request.params;
      const rule = await forwards.remove(name, { protocol, hostAddress: host_address, hostPort: host_port });
      return forwardJson({ instance: name, ...rule, active: false });
    },
  );
}
