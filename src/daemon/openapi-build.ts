/**
 * @module Build step: registers @fastify/swagger on the real route table and writes the OpenAPI document to
 * dist/openapi.json, which skiffd serves. Routes are only registered, never called, so no service is needed.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import swagger from '@fastify/swagger';
import { pino } from 'pino';
import { installRoot, skiffVersion } from '../core/install-root.js';
import { buildServer, OPENAPI_FILE } from './server.js';
import type { Services } from './services.js';

const app = await buildServer({ version: skiffVersion() } as Services, pino({ level: 'silent' }), {
  beforeRoutes: async (instance) => {
    await instance.register(swagger, {
      openapi: {
        info: { title: 'skiffd API', version: skiffVersion(), description: 'REST/JSON over a Unix socket' },
      },
    });
  },
});
await app.ready();
writeFileSync(join(installRoot(), OPENAPI_FILE), `${JSON.stringify(app.swagger(), null, 2)}\n`);
await app.close();
