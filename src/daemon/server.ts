/**
 * @module The fastify app: schema validation, OpenAPI, the single error handler and the routes. No listening here.
 */
import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import swagger from '@fastify/swagger';
import type { Logger } from 'pino';
import { PATHS } from '../api/contract.js';
import { errorBody } from './errors.js';
import { registerDaemonRoutes } from './routes/daemon.js';
import { registerImageRoutes } from './routes/images.js';
import { registerInstanceRoutes } from './routes/instances.js';
import { registerCacheRoutes } from './routes/cache.js';
import { registerSettingsRoutes } from './routes/settings.js';
import type { Services } from './services.js';

export async function buildServer(services: Services, logger: Logger): Promise<FastifyInstance> {
  const app = Fastify({
    loggerInstance: logger as FastifyBaseLogger,
    disableRequestLogging: true,
    ajv: { customOptions: { coerceTypes: true, removeAdditional: false, allErrors: true } },
  });
  await app.register(swagger, {
    openapi: {
      info: { title: 'skiffd API', version: services.version, description: 'REST/JSON over a Unix socket' },
    },
  });
  app.setErrorHandler((error, request, reply) => {
    const { status, body } = errorBody(error, request.log);
    void reply.status(status).send(body);
  });
  app.setNotFoundHandler((request, reply) => {
    void reply
      .status(404)
      .send({ error: { code: 'not-found', message: `no such endpoint: ${request.method} ${request.url}` } });
  });
  app.addHook('onResponse', (request, reply, done) => {
    request.log.debug({ method: request.method, url: request.url, status: reply.statusCode }, 'request');
    done();
  });
  registerDaemonRoutes(app, services);
  registerImageRoutes(app, services);
  registerSettingsRoutes(app, services);
  registerInstanceRoutes(app, services);
  registerCacheRoutes(app, services);
  app.get(PATHS.openapi, { schema: { hide: true } }, async () => app.swagger());
  return app;
}
