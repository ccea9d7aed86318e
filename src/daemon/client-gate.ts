/**
 * @module Who may call which route: every request but `authenticate` comes from a trusted client (services
 * /trust), and a few routes are for local clients only. Runs before the body is read.
 */
import type { FastifyInstance } from 'fastify';
import { PATHS } from '../api/contract.js';
import { SkiffError } from '../core/errors.js';
import type { Services } from './services.js';

/**
 * Routes a remote client never gets, and why. None today: the one there was, `/ssh` with the daemon's key,
 * is gone (exec, shell and transfer run through the exec websocket, for every client).
 */
const LOCAL_ONLY: Record<string, string> = {};

export function installClientGate(app: FastifyInstance, { trust, identity }: Services): void {
  app.addHook('onRequest', async (request) => {
    const route = request.routeOptions.url;
    // Unknown paths get their 404 from the not-found handler; authenticate checks the client itself.
    if (route === undefined || route === PATHS.authenticate) return;
    const { client, remote } = await identity(request.raw.socket);
    if (client === null)
      throw new SkiffError(
        remote ? 'unauthenticated' : 'permission-denied',
        remote
          ? 'the client sent no TLS certificate; skiff clients send one and register it with "skiff authenticate"'
          : 'cannot tell who is asking (no peer credentials on the socket), so skiffd cannot tell whether it may',
      );
    await trust.check(client);
    const localOnly = remote ? LOCAL_ONLY[route] : undefined;
    if (localOnly !== undefined)
      throw new SkiffError('permission-denied', `refused to a remote client: ${localOnly}`);
  });
}
