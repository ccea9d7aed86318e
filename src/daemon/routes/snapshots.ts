/**
 * @module Snapshots: take, list, show, restore and delete an instance's snapshots. Taking one of a running
 * instance (a memory save) and restoring one with memory (a boot) can take minutes: those stream NDJSON.
 */
import type { FastifyInstance } from 'fastify';
import type { InstanceParams } from '../../api/contract.js';
import { instanceParamsSchema } from '../../api/schemas.js';
import {
  SNAPSHOT_PATHS,
  SNAPSHOT_ROUTES,
  restoreSnapshotBodySchema,
  snapshotParamsSchema,
  takeSnapshotBodySchema,
  type RestoreSnapshotBody,
  type RestoreSnapshotResponse,
  type SnapshotJson,
  type SnapshotParams,
  type SnapshotsResponse,
  type TakeSnapshotBody,
  type TakeSnapshotResponse,
} from '../../api/snapshots.js';
import type { SnapshotView } from '../../services/snapshots/views.js';
import { streamOperation } from '../ndjson.js';
import type { Services } from '../services.js';

export const snapshotJson = (view: SnapshotView): SnapshotJson => ({
  instance: view.instance,
  name: view.name,
  comment: view.comment,
  parent: view.parent ?? '',
  children: view.children,
  created: new Date(view.createdAtMs).toISOString(),
  memory: view.memory,
  cpu_count: view.cpus,
  memory_bytes: view.memoryBytes,
  disk_bytes: view.diskBytes,
  mounts: view.mounts.map((m) => ({ source_path: m.source, target_path: m.target })),
});

export function registerSnapshotRoutes(app: FastifyInstance, { snapshots }: Services): void {
  app.get(
    SNAPSHOT_PATHS.all,
    { schema: { summary: 'the snapshots of every instance that is not deleted' } },
    async (): Promise<SnapshotsResponse> => ({ snapshots: snapshots.list().map(snapshotJson) }),
  );

  app.get<{ Params: InstanceParams }>(
    SNAPSHOT_ROUTES.instance,
    { schema: { summary: "an instance's snapshots", params: instanceParamsSchema } },
    async (request): Promise<SnapshotsResponse> => ({
      snapshots: snapshots.list(request.params.name).map(snapshotJson),
    }),
  );

  app.post<{ Params: InstanceParams; Body: TakeSnapshotBody }>(
    SNAPSHOT_ROUTES.instance,
    {
      schema: {
        summary: 'take a snapshot: disk only when stopped, disk and memory when running (NDJSON)',
        params: instanceParamsSchema,
        body: takeSnapshotBodySchema,
      },
    },
    (request, reply) =>
      streamOperation(request, reply, async ({ progress }): Promise<TakeSnapshotResponse> => {
        progress('Taking snapshot');
        const body = request.body ?? {};
        const taken = await snapshots.take(request.params.name, {
          ...(body.name !== undefined && { name: body.name }),
          ...(body.comment !== undefined && { comment: body.comment }),
        });
        return { snapshot: snapshotJson(taken.snapshot), memory: taken.memory };
      }),
  );

  app.get<{ Params: SnapshotParams }>(
    SNAPSHOT_ROUTES.one,
    { schema: { summary: 'one snapshot', params: snapshotParamsSchema } },
    async (request): Promise<SnapshotJson> =>
      snapshotJson(snapshots.info(request.params.name, request.params.snapshot)),
  );

  app.delete<{ Params: SnapshotParams }>(
    SNAPSHOT_ROUTES.one,
    { schema: { summary: 'delete a snapshot for good', params: snapshotParamsSchema } },
    async (request): Promise<{ deleted: string }> => {
      await snapshots.delete(request.params.name, request.params.snapshot);
      return { deleted: `${request.params.name}.${request.params.snapshot}` };
    },
  );

  app.post<{ Params: SnapshotParams; Body: RestoreSnapshotBody }>(
    SNAPSHOT_ROUTES.restore,
    {
      schema: {
        summary:
          'restore a snapshot (disk, memory when saved, sizes and mounts); without destructive, snapshot the current state first (NDJSON)',
        params: snapshotParamsSchema,
        body: restoreSnapshotBodySchema,
      },
    },
    (request, reply) =>
      streamOperation(request, reply, async ({ progress }): Promise<RestoreSnapshotResponse> => {
        const { name, snapshot } = request.params;
        const destructive = request.body?.destructive ?? false;
        progress(destructive ? 'Restoring snapshot' : `Taking snapshot before restoring ${name}`);
        const restored = await snapshots.restore(name, snapshot, { destructive });
        return {
          snapshot: snapshotJson(restored.snapshot),
          before: restored.before === null ? null : snapshotJson(restored.before),
          state: restored.state,
        };
      }),
  );
}
