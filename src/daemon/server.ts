/**
 * @module The fastify app: schema validation, the single error handler and the routes. No listening here.
 * The OpenAPI document is generated from these same routes at build time (openapi-build.ts) and served as a
 * file: loading @fastify/swagger and its YAML library in every daemon cost about 10 MB of resident memory.
 */
import Fastify, {
  LogController,
  type FastifyBaseLogger,
  type FastifyInstance,
  type FastifyReply,
} from 'fastify';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { installRoot } from '../core/install-root.js';
import { SkiffError } from '../core/errors.js';
import type { Logger } from 'pino';
import { PATHS, type ErrorBody } from '../api/contract.js';
import { installBodyDeadline } from './body-deadline.js';
import { errorBody } from './errors.js';
import { installClientGate } from './client-gate.js';
import { registerAuthenticateRoutes } from './routes/authenticate.js';
import websocket from '@fastify/websocket';
import { registerExecRoutes } from './routes/exec.js';
import { registerDaemonRoutes } from './routes/daemon.js';
import { registerForwardRoutes } from './routes/forwards.js';
import { registerImageRoutes } from './routes/images.js';
import { registerMountRoutes } from './routes/mounts.js';
import { registerSnapshotRoutes } from './routes/snapshots.js';
import { registerInstanceRoutes } from './routes/instances.js';
import { registerCloneRoutes } from './routes/clone.js';
import { registerCacheRoutes } from './routes/cache.js';
import { registerNetworkRoutes } from './routes/networks.js';
import { registerSettingsRoutes } from './routes/settings.js';
import { registerUploadRoutes } from './routes/uploads.js';
import type { Services } from './services.js';
import { UploadSlots } from './uploads.js';

/** Longest path segment (an instance name, an image query) routed; longer ones get a 414 in skiff's shape. */
const MAX_PARAM_LENGTH = 256;

/** Where the build writes the OpenAPI document. */
export const OPENAPI_FILE = 'dist/openapi.json';

/** A request body must be complete this long after its headers (bodies are at most 1 MiB, sent at once). */
const BODY_DEADLINE_MS = 15_000;

/** Largest websocket message a client may send (clients send stdin in chunks of at most 64 KiB). */
const MAX_EXEC_MESSAGE_BYTES = 1 << 20;

export interface BuildServerOptions {
  /** Called after the app exists and before routes are added (the OpenAPI build registers swagger here). */
  beforeRoutes?: (app: FastifyInstance) => Promise<void>;
  /**
   * Serve HTTPS (skiffd --address): the daemon's certificate, and a client certificate asked of every client
   * but checked by the client gate (by fingerprint, against the registered ones), not against a CA.
   */
  tls?: { certPem: string; keyPem: string };
}

export async function buildServer(
  services: Services,
  logger: Logger,
  options: BuildServerOptions = {},
): Promise<FastifyInstance> {
  const app = Fastify({
    ...(options.tls && {
      https: {
        cert: options.tls.certPem,
        key: options.tls.keyPem,
        requestCert: true,
        rejectUnauthorized: false,
        minVersion: 'TLSv1.3' as const,
      },
    }),
    loggerInstance: logger as FastifyBaseLogger,
    // skiff logs each request itself (onResponse, debug level); fastify's own lines are off.
    logController: new LogController({ disableRequestLogging: true }),
    ajv: { customOptions: { coerceTypes: true, removeAdditional: false, allErrors: true } },
    routerOptions: { maxParamLength: MAX_PARAM_LENGTH },
    // Errors fastify raises before routing (a path segment over the limit: 414, a malformed URL: 400) get
    // skiff's error shape too, with a sentence instead of the whole path echoed back.
    frameworkErrors: (error, _request, reply) => {
      const message =
        error.code === 'FST_ERR_MAX_PARAM_LENGTH'
          ? `a name in the request is longer than ${MAX_PARAM_LENGTH} characters (instance names have at most 63)`
          : `the request URL is malformed (${error.code})`;
      const body: ErrorBody = { error: { code: 'invalid-argument', message } };
      void (reply as FastifyReply).status(error.statusCode ?? 400).send(body);
    },
  });
  await options.beforeRoutes?.(app);
  installBodyDeadline(app, { timeoutMs: BODY_DEADLINE_MS });
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
  installClientGate(app, services);
  registerAuthenticateRoutes(app, services);
  // Exec's websocket upgrades go through the same routing and hooks as every other request. No compression:
  // command output is often already compressed, and deflating 100 MB would cost a core.
  await app.register(websocket, {
    options: { maxPayload: MAX_EXEC_MESSAGE_BYTES, perMessageDeflate: false },
  });
  registerDaemonRoutes(app, services);
  registerImageRoutes(app, services);
  registerSettingsRoutes(app, services);
  const uploads = new UploadSlots();
  registerInstanceRoutes(app, services, uploads);
  registerCloneRoutes(app, services);
  registerForwardRoutes(app, services);
  registerMountRoutes(app, services);
  registerSnapshotRoutes(app, services);
  registerUploadRoutes(app, uploads);
  registerCacheRoutes(app, services);
  registerNetworkRoutes(app, services);
  registerExecRoutes(app, services);
  app.get(PATHS.openapi, { schema: { hide: true } }, async (_request, reply) => {
    const text = await readFile(join(installRoot(), OPENAPI_FILE), 'utf8').catch((error: unknown) => {
      throw new SkiffError(
        'internal',
        `the OpenAPI document is missing (${OPENAPI_FILE}); run npm run build`,
        { cause: error },
      );
    });
    return reply.type('application/json').send(text);
  });
  return app;
}
