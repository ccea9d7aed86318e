import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import {
  addForwardBodySchema,
  execQuerySchema,
  bootBodySchema,
  forwardParamsSchema,
  addMountBodySchema,
  umountQuerySchema,
  findQuerySchema,
  launchBodySchema,
  networksResponseSchema,
  remotesResponseSchema,
  setSettingBodySchema,
  stopBodySchema,
  uploadParamsSchema,
  waitReadyQuerySchema,
} from '../api/schemas.js';
import { installRoot } from '../core/install-root.js';
import { OPENAPI_FILE } from './server.js';

interface Operation {
  parameters?: Array<{ in: string; name: string; required: boolean; schema: unknown }>;
  requestBody?: { content: { 'application/json': { schema: unknown } } };
  responses?: Record<string, { content?: { 'application/json': { schema: unknown } } }>;
}
type OpenApi = { paths: Record<string, Record<string, Operation>> };

/** The document `npm run build` wrote from the real route table. */
const doc = JSON.parse(readFileSync(join(installRoot(), OPENAPI_FILE), 'utf8')) as OpenApi;
const op = (path: string, method: string): Operation => {
  const found = doc.paths[path]?.[method];
  assert.ok(found, `${method} ${path} in the OpenAPI document`);
  return found;
};
const body = (path: string, method = 'post') =>
  op(path, method).requestBody?.content['application/json'].schema;
/** Query parameters as an object schema's properties, as @fastify/swagger splits them. */
const query = (path: string) =>
  Object.fromEntries(
    (op(path, 'get').parameters ?? []).filter((p) => p.in === 'query').map((p) => [p.name, p.schema]),
  );
const plain = (value: unknown): unknown => JSON.parse(JSON.stringify(value));

test('the OpenAPI document has every route of the contract', () => {
  assert.deepEqual(Object.keys(doc.paths).sort(), [
    '/1.0/authenticate',
    '/1.0/cache/images',
    '/1.0/forwards',
    '/1.0/images',
    '/1.0/instances',
    '/1.0/instances/{name}',
    '/1.0/instances/{name}/clone',
    '/1.0/instances/{name}/exec',
    '/1.0/instances/{name}/forwards',
    '/1.0/instances/{name}/forwards/{protocol}/{host_address}/{host_port}',
    '/1.0/instances/{name}/mounts',
    '/1.0/instances/{name}/recover',
    '/1.0/instances/{name}/restart',
    '/1.0/instances/{name}/snapshots',
    '/1.0/instances/{name}/snapshots/{snapshot}',
    '/1.0/instances/{name}/snapshots/{snapshot}/restore',
    '/1.0/instances/{name}/start',
    '/1.0/instances/{name}/stop',
    '/1.0/instances/{name}/suspend',
    '/1.0/networks',
    '/1.0/purge',
    '/1.0/remotes',
    '/1.0/settings',
    '/1.0/settings/{key}',
    '/1.0/snapshots',
    '/1.0/uploads/{token}',
    '/1.0/version',
    '/1.0/wait-ready',
  ]);
});

test('request bodies and queries in the OpenAPI document are the schemas of api/schemas.ts', () => {
  assert.deepEqual(body('/1.0/instances'), plain(launchBodySchema));
  assert.deepEqual(body('/1.0/instances/{name}/start'), plain(bootBodySchema));
  assert.deepEqual(body('/1.0/instances/{name}/restart'), plain(bootBodySchema));
  assert.deepEqual(body('/1.0/instances/{name}/stop'), plain(stopBodySchema));
  const upload = op('/1.0/uploads/{token}', 'put').parameters?.find((p) => p.in === 'path');
  assert.deepEqual(upload?.schema, plain(uploadParamsSchema.properties.token));
  assert.deepEqual(body('/1.0/settings/{key}', 'put'), plain(setSettingBodySchema));
  assert.deepEqual(body('/1.0/instances/{name}/forwards'), plain(addForwardBodySchema));
  const forward = op('/1.0/instances/{name}/forwards/{protocol}/{host_address}/{host_port}', 'delete');
  assert.deepEqual(
    Object.fromEntries((forward.parameters ?? []).map((p) => [p.name, p.schema])),
    plain(forwardParamsSchema.properties),
  );
  assert.deepEqual(body('/1.0/instances/{name}/mounts'), plain(addMountBodySchema));
  const umount = op('/1.0/instances/{name}/mounts', 'delete').parameters?.filter((p) => p.in === 'query');
  assert.deepEqual(
    Object.fromEntries((umount ?? []).map((p) => [p.name, p.schema])),
    plain(umountQuerySchema.properties),
  );
  assert.deepEqual(query('/1.0/images'), plain(findQuerySchema.properties));
  assert.deepEqual(query('/1.0/wait-ready'), plain(waitReadyQuerySchema.properties));
  // The exec websocket: its query, and the 101 that says the conversation goes on as a websocket.
  assert.deepEqual(query('/1.0/instances/{name}/exec'), plain(execQuerySchema.properties));
  assert.ok(op('/1.0/instances/{name}/exec', 'get').responses?.['101']);
  // A response schema is rewritten for OpenAPI 3.0 (`type: [x, 'null']` becomes `nullable`): compare its fields.
  const remotes = op('/1.0/remotes', 'get').responses?.['200']?.content?.['application/json'].schema as {
    properties: { remotes: { items: { properties: object } } };
  };
  assert.deepEqual(
    Object.keys(remotes.properties.remotes.items.properties),
    Object.keys(remotesResponseSchema.properties.remotes.items.properties),
  );
  assert.deepEqual(
    op('/1.0/networks', 'get').responses?.['200']?.content?.['application/json'].schema,
    plain(networksResponseSchema),
  );
});
