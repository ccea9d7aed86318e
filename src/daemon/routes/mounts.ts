/**
 * @module Mounts: list, add and remove an instance's mounts, and the launch-time checks of `launch --mount`. The
 * caller's uid and gid (SO_PEERCRED) decide what may be mounted and are the default id maps.
 */
import type { FastifyInstance } from 'fastify';
import {
  PATHS,
  type AddMountBody,
  type InstanceParams,
  type MountJson,
  type MountsResponse,
  type UmountQuery,
  type UmountResponse,
} from '../../api/contract.js';
import { addMountBodySchema, instanceParamsSchema, umountQuerySchema } from '../../api/schemas.js';
import { SkiffError } from '../../core/errors.js';
import type { MountRequest, MountView, MountsService } from '../../services/mounts/mounts-service.js';
import type { Caller } from '../../services/mounts/ports.js';
import type { MountEntry } from '../../services/instances/store.js';
import type { Services } from '../services.js';

export const mountJson = (view: MountView): MountJson => ({
  instance: view.instance,
  source_path: view.source,
  target_path: view.target,
  type: view.type,
  uid_mappings: view.uidMap,
  gid_mappings: view.gidMap,
  ...(view.transport && { transport: view.transport }),
  active: view.active,
  ...(view.pending !== undefined && { pending: view.pending }),
});

/**
 * The body as the service takes it. An absent type is the service's choice (native for root, classic for
 * others). Absent maps: none, so ids pass through unchanged (what QEMU 7.2's virtiofsd
 * and 9p can do); the guest's default user is uid 1000, so a host user 1000 owns what it makes.
 */
export function mountRequest(body: AddMountBody): MountRequest {
  return {
    source: body.source_path,
    ...(body.target_path !== undefined && { target: body.target_path }),
    ...(body.type !== undefined && { type: body.type }),
    uidMap: body.uid_mappings ?? [],
    gidMap: body.gid_mappings ?? [],
  };
}

/** `launch --mount`: every mount checked before anything is made. @throws SkiffError */
export async function launchMounts(
  mounts: MountsService,
  bodies: AddMountBody[],
  caller: Caller | null,
): Promise<MountEntry[]> {
  const entries: MountEntry[] = [];
  for (const body of bodies) {
    const entry = await mounts.prepare(mountRequest(body), caller);
    if (entries.some((e) => e.target === entry.target))
      throw new SkiffError('invalid-argument', `--mount: "${entry.target}" is given twice`, {
        details: { field: 'mounts' },
      });
    entries.push(entry);
  }
  await mounts.checkShares(entries);
  return entries;
}

export function registerMountRoutes(app: FastifyInstance, { mounts, caller }: Services): void {
  app.get<{ Params: InstanceParams }>(
    `${PATHS.instances}/:name/mounts`,
    { schema: { summary: "an instance's mounts", params: instanceParamsSchema } },
    async (request): Promise<MountsResponse> => ({
      mounts: mounts.list(request.params.name).map(mountJson),
    }),
  );

  app.post<{ Params: InstanceParams; Body: AddMountBody }>(
    `${PATHS.instances}/:name/mounts`,
    {
      schema: {
        summary: 'mount a host directory in the instance (now if it runs, else from its next start)',
        params: instanceParamsSchema,
        body: addMountBodySchema,
      },
    },
    async (request, reply): Promise<MountJson> => {
      const who = await caller(request.raw.socket);
      const view = await mounts.add(request.params.name, mountRequest(request.body), who);
      void reply.status(201);
      return mountJson(view);
    },
  );

  app.delete<{ Params: InstanceParams; Querystring: UmountQuery }>(
    `${PATHS.instances}/:name/mounts`,
    {
      schema: {
        summary: "unmount one of the instance's mounts (target), or all of them",
        params: instanceParamsSchema,
        querystring: umountQuerySchema,
      },
    },
    async (request): Promise<UmountResponse> => ({
      unmounted: await mounts.remove(request.params.name, request.query.target),
    }),
  );
}
