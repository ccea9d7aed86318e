/**
 * @module Instances: launch, list, info, lifecycle actions, delete and purge (exec: exec.ts).
 */
import type { FastifyInstance } from 'fastify';
import {
  type BootBody,
  PATHS,
  type ActionResponse,
  type DeleteQuery,
  type InstanceParams,
  type LaunchBody,
  type ListResponse,
  type StopBody,
} from '../../api/contract.js';
import {
  bootBodySchema,
  deleteQuerySchema,
  instanceParamsSchema,
  launchBodySchema,
  stopBodySchema,
} from '../../api/schemas.js';
import type { InstanceRecord } from '../../services/instances/store.js';
import { streamOperation } from '../ndjson.js';
import type { Services } from '../services.js';
import { launchMounts } from './mounts.js';
import type { UploadSlots } from '../uploads.js';
import { infoJson, summaryJson } from './instance-json.js';

const action = (record: InstanceRecord, warnings: string[] = []): ActionResponse => ({
  name: record.name,
  state: record.state,
  ...(warnings.length > 0 ? { warnings } : {}),
});

export function registerInstanceRoutes(
  app: FastifyInstance,
  { instances, mounts, snapshots, caller }: Services,
  uploads: UploadSlots,
): void {
  app.post<{ Body: LaunchBody }>(
    PATHS.instances,
    {
      schema: {
        summary: 'launch an instance (NDJSON progress stream)',
        body: launchBodySchema,
      },
    },
    (request, reply) =>
      streamOperation(request, reply, async ({ progress, requestUpload, signal }) => {
        const body = request.body;
        const warnings: string[] = [];
        const upload = body.image_upload;
        const token = uploads.newToken();
        const mountEntries =
          body.mounts && body.mounts.length > 0
            ? await launchMounts(mounts, body.mounts, await caller(request.raw.socket))
            : undefined;
        const record = await instances.launch(
          {
            image: body.image ?? '',
            upload: upload && {
              id: token,
              name: upload.name,
              sizeBytes: upload.size_bytes,
              mtimeMs: upload.mtime_ms,
              // Called once the launch was validated and the vault is ready for the bytes.
              open: (openSignal) => {
                const received = uploads.expect(token, upload.size_bytes, openSignal ?? signal);
                requestUpload(token);
                return received;
              },
            },
            name: body.name,
            cpus: body.cpus,
            memory: body.memory,
            disk: body.disk,
            cloudInit: body.cloud_init,
            timeoutS: body.timeout,
            networks: body.networks,
            mounts: mountEntries,
          },
          {
            signal,
            warn: (message) => warnings.push(message),
            progress: (message, d) =>
              progress(
                message,
                d && {
                  bytes: d.bytes,
                  total_bytes: d.totalBytes,
                  rate_bytes_per_s: d.rateBytesPerS,
                  eta_s: d.etaS,
                },
              ),
          },
        );
        return action(record, warnings);
      }),
  );

  app.get(
    PATHS.instances,
    { schema: { summary: 'list instances (Multipass list JSON)' } },
    async (): Promise<ListResponse> => ({
      list: (await instances.list()).map(summaryJson),
    }),
  );

  app.get<{ Params: InstanceParams }>(
    `${PATHS.instances}/:name`,
    {
      schema: {
        summary: 'instance details (one entry of Multipass info JSON)',
        params: instanceParamsSchema,
      },
    },
    async (request) => ({
      ...infoJson(await instances.info(request.params.name)),
      snapshot_count: String(snapshots.count(request.params.name)),
    }),
  );

  for (const verb of ['start', 'restart'] as const) {
    app.post<{ Params: InstanceParams; Body: BootBody }>(
      `${PATHS.instances}/:name/${verb}`,
      {
        schema: {
          summary: `${verb} an instance (NDJSON)`,
          params: instanceParamsSchema,
          body: bootBodySchema,
        },
      },
      (request, reply) =>
        streamOperation(request, reply, async ({ progress }) => {
          const warnings: string[] = [];
          const record = await instances[verb](request.params.name, {
            timeoutS: request.body?.timeout,
            progress: (message) => progress(message),
            warn: (message) => warnings.push(message),
          });
          return action(record, warnings);
        }),
    );
  }

  for (const verb of ['suspend', 'recover'] as const) {
    app.post<{ Params: InstanceParams }>(
      `${PATHS.instances}/:name/${verb}`,
      { schema: { summary: `${verb} an instance (NDJSON)`, params: instanceParamsSchema } },
      (request, reply) =>
        streamOperation(request, reply, async () => action(await instances[verb](request.params.name))),
    );
  }

  app.post<{ Params: InstanceParams; Body: StopBody }>(
    `${PATHS.instances}/:name/stop`,
    {
      schema: {
        summary: 'stop an instance, now or after a delay (NDJSON)',
        params: instanceParamsSchema,
        body: stopBodySchema,
      },
    },
    (request, reply) =>
      streamOperation(request, reply, async () => {
        const body = request.body ?? {};
        return action(
          await instances.stop(request.params.name, {
            force: body.force,
            delayMinutes: body.time,
            cancel: body.cancel,
          }),
        );
      }),
  );

  app.delete<{ Params: InstanceParams; Querystring: DeleteQuery }>(
    `${PATHS.instances}/:name`,
    {
      schema: {
        summary: 'delete (recoverably) or purge an instance',
        params: instanceParamsSchema,
        querystring: deleteQuerySchema,
      },
    },
    async (request) => {
      await instances.delete(request.params.name, { purge: request.query.purge });
      return { name: request.params.name, state: request.query.purge ? 'Purged' : 'Deleted' };
    },
  );

  app.post(PATHS.purge, { schema: { summary: 'purge every deleted instance' } }, async () => ({
    purged: await instances.purge(),
  }));
}
