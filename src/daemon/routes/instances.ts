/**
 * @module Instances: launch, list, info, lifecycle actions, delete, purge and SSH coordinates.
 */
import { readFile } from 'node:fs/promises';
import type { FastifyInstance } from 'fastify';
import {
  type BootBody,
  PATHS,
  type ActionResponse,
  type LaunchBody,
  type ListResponse,
  type SshInfoResponse,
  type StopBody,
} from '../../api/contract.js';
import { KeyUnreadableError } from '../../core/errors.js';
import type { InstanceRecord } from '../../services/instances/store.js';
import { streamOperation } from '../ndjson.js';
import type { Services } from '../services.js';
import type { UploadSlots } from '../uploads.js';
import { infoJson, summaryJson } from './instance-json.js';

const nameParams = {
  type: 'object',
  properties: { name: { type: 'string', minLength: 1, maxLength: 63 } },
  required: ['name'],
} as const;

const action = (record: InstanceRecord, warnings: string[] = []): ActionResponse => ({
  name: record.name,
  state: record.state,
  ...(warnings.length > 0 ? { warnings } : {}),
});

const bootBody = {
  type: 'object',
  properties: { timeout: { type: 'number', exclusiveMinimum: 0, maximum: 86_400 } },
  additionalProperties: false,
} as const;

/** Largest image a client may upload: far above any cloud image, below what a JSON number holds exactly. */
const MAX_UPLOAD_BYTES = 2 ** 44;

export function registerInstanceRoutes(
  app: FastifyInstance,
  { instances }: Services,
  uploads: UploadSlots,
): void {
  app.post<{ Body: LaunchBody }>(
    PATHS.instances,
    {
      schema: {
        summary: 'launch an instance (NDJSON progress stream)',
        body: {
          type: 'object',
          properties: {
            image: { type: 'string', maxLength: 2048 },
            image_upload: {
              type: 'object',
              properties: {
                name: { type: 'string', minLength: 2, maxLength: 4096, pattern: '^/' },
                size_bytes: { type: 'integer', minimum: 1, maximum: MAX_UPLOAD_BYTES },
                mtime_ms: { type: 'number', minimum: 0 },
              },
              required: ['name', 'size_bytes', 'mtime_ms'],
              additionalProperties: false,
            },
            name: { type: 'string', maxLength: 63 },
            cpus: { type: 'integer', minimum: 1, maximum: 512 },
            memory: { type: 'string', maxLength: 32 },
            disk: { type: 'string', maxLength: 32 },
            cloud_init: { type: 'string', maxLength: 1_048_576 },
            timeout: { type: 'number', exclusiveMinimum: 0, maximum: 86_400 },
          },
          additionalProperties: false,
        },
      },
    },
    (request, reply) =>
      streamOperation(request, reply, async ({ progress, requestUpload, signal }) => {
        const body = request.body;
        const warnings: string[] = [];
        const upload = body.image_upload;
        const token = uploads.newToken();
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

  app.get<{ Params: { name: string } }>(
    `${PATHS.instances}/:name`,
    { schema: { summary: 'instance details (one entry of Multipass info JSON)', params: nameParams } },
    async (request) => infoJson(await instances.info(request.params.name)),
  );

  for (const verb of ['start', 'restart'] as const) {
    app.post<{ Params: { name: string }; Body: BootBody }>(
      `${PATHS.instances}/:name/${verb}`,
      { schema: { summary: `${verb} an instance (NDJSON)`, params: nameParams, body: bootBody } },
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
    app.post<{ Params: { name: string } }>(
      `${PATHS.instances}/:name/${verb}`,
      { schema: { summary: `${verb} an instance (NDJSON)`, params: nameParams } },
      (request, reply) =>
        streamOperation(request, reply, async () => action(await instances[verb](request.params.name))),
    );
  }

  app.post<{ Params: { name: string }; Body: StopBody }>(
    `${PATHS.instances}/:name/stop`,
    {
      schema: {
        summary: 'stop an instance, now or after a delay (NDJSON)',
        params: nameParams,
        body: {
          type: 'object',
          properties: {
            force: { type: 'boolean' },
            time: { type: 'integer', minimum: 0, maximum: 525_600 },
            cancel: { type: 'boolean' },
          },
          additionalProperties: false,
        },
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

  app.delete<{ Params: { name: string }; Querystring: { purge?: boolean } }>(
    `${PATHS.instances}/:name`,
    {
      schema: {
        summary: 'delete (recoverably) or purge an instance',
        params: nameParams,
        querystring: {
          type: 'object',
          properties: { purge: { type: 'boolean' } },
          additionalProperties: false,
        },
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

  app.get<{ Params: { name: string } }>(
    `${PATHS.instances}/:name/ssh`,
    { schema: { summary: 'SSH coordinates for exec and shell', params: nameParams } },
    async (request): Promise<SshInfoResponse> => {
      const target = await instances.sshTarget(request.params.name);
      const privateKey = await readFile(target.keyPath, 'utf8').catch((error: unknown) => {
        throw new KeyUnreadableError(`cannot read the SSH key ${target.keyPath}`, {
          path: target.keyPath,
          cause: error,
        });
      });
      // What the daemon pinned (or learnt, for an instance from before pinning); empty: not known yet.
      const knownHosts = await readFile(target.hostKey.knownHostsFile, 'utf8').catch(() => '');
      return {
        host: target.host,
        port: target.port,
        user: target.user,
        private_key: privateKey,
        host_key_alias: target.hostKey.alias,
        known_hosts: knownHosts,
      };
    },
  );
}
