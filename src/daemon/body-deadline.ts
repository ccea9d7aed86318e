/**
 * @module A deadline on receiving a request's body: a client that opened a request and trickles (or stops
 * sending) its body has its connection closed, so slow clients cannot pile up connections and buffers.
 * Fastify's `requestTimeout` would do this for the whole server, but Node checks it only every 30 s and a
 * route cannot change it; here a route may set `config: { bodyDeadlineMs }` (a streamed upload, say).
 * Headers are bounded by Node's own `headersTimeout` (60 s). Long responses (NDJSON streams) are unaffected:
 * the deadline ends when the body has been read.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';

export interface BodyDeadlineRouteConfig {
  /** Overrides the server's deadline for this route's body. */
  bodyDeadlineMs?: number;
}

/** Closes the connection of any request whose body is not fully received `timeoutMs` after its headers. */
export function installBodyDeadline(app: FastifyInstance, options: { timeoutMs: number }): void {
  const timers = new WeakMap<FastifyRequest, NodeJS.Timeout>();
  app.addHook('onRequest', (request, _reply, done) => {
    const config = request.routeOptions.config as BodyDeadlineRouteConfig;
    const timeoutMs = config.bodyDeadlineMs ?? options.timeoutMs;
    const timer = setTimeout(() => {
      request.log.warn(
        { method: request.method, url: request.url },
        `request body not received within ${timeoutMs} ms: connection closed`,
      );
      request.raw.destroy();
    }, timeoutMs);
    timer.unref();
    timers.set(request, timer);
    done();
  });
  const clear = (request: FastifyRequest) => {
    clearTimeout(timers.get(request));
    timers.delete(request);
  };
  // preValidation runs once the body is parsed; the others cover requests that never get that far.
  app.addHook('preValidation', (request, _reply, done) => (clear(request), done()));
  app.addHook('onResponse', (request, _reply, done) => (clear(request), done()));
  app.addHook('onRequestAbort', (request, done) => (clear(request), done()));
}
