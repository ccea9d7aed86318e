/**
 * @module `authenticate`: a client registers itself (its uid on the socket, its certificate over TLS) with the
 * `local.passphrase`. The one route an unknown client may call (see client-gate.ts).
 */
import type { FastifyInstance } from 'fastify';
import { PATHS, type AuthenticateBody, type AuthenticateResponse } from '../../api/contract.js';
import { authenticateBodySchema, authenticateResponseSchema } from '../../api/schemas.js';
import { SkiffError } from '../../core/errors.js';
import type { Services } from '../services.js';

export function registerAuthenticateRoutes(app: FastifyInstance, { trust, identity }: Services): void {
  app.post<{ Body: AuthenticateBody }>(
    PATHS.authenticate,
    {
      schema: {
        summary:
          'register the calling client with the local.passphrase (wrong passphrases slow that client down)',
        body: authenticateBodySchema,
        response: { 200: authenticateResponseSchema },
      },
    },
    async (request): Promise<AuthenticateResponse> => {
      const { client, remote } = await identity(request.raw.socket);
      if (client === null)
        throw new SkiffError(
          'permission-denied',
          remote
            ? 'the client sent no TLS certificate: skiff clients always do; nothing to register'
            : 'cannot tell who is asking (no peer credentials on the socket): nothing to register',
        );
      await trust.authenticate(client, request.body.passphrase);
      request.log.info(
        client.kind === 'user' ? { uid: client.uid } : { fingerprint: client.fingerprint },
        'client authenticated',
      );
      return { authenticated: true };
    },
  );
}
