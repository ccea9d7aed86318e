/**
 * @module Uploads: `PUT /1.0/uploads/:token` carries the bytes of an image a launch asked for (see
 * daemon/uploads.ts). The body is handed on unread, as a stream, to the launch waiting for it; the answer
 * (204) comes once the launch has read all of it. Whether the image was good is the launch's to say.
 */
import type { Readable } from 'node:stream';
import { finished } from 'node:stream/promises';
import type { FastifyInstance } from 'fastify';
import { API_PREFIX, OCTET_STREAM, type UploadParams } from '../../api/contract.js';
import { uploadParamsSchema } from '../../api/schemas.js';
import { SkiffError } from '../../core/errors.js';
import type { UploadSlots } from '../uploads.js';

export function registerUploadRoutes(app: FastifyInstance, uploads: UploadSlots): void {
  // An upload's body is the image itself, passed on as it arrives (its size was declared by the launch). No
  // other route takes this type: their body schemas refuse a stream. Handing the stream on ends the server's
  // body deadline (body-deadline.ts); the launch's own deadline bounds the upload instead.
  app.addContentTypeParser(OCTET_STREAM, (_request, payload, done) => done(null, payload));
  app.put<{ Params: UploadParams }>(
    `${API_PREFIX}/uploads/:token`,
    {
      schema: {
        summary: 'the bytes of an image a launch asked for (application/octet-stream)',
        params: uploadParamsSchema,
      },
    },
    async (request, reply) => {
      const body = request.body as Readable | undefined;
      const length = Number(request.headers['content-length']);
      if (body === undefined || typeof body.pipe !== 'function' || !Number.isSafeInteger(length)) {
        throw new SkiffError(
          'invalid-argument',
          `an upload is sent as ${OCTET_STREAM} with a content-length`,
          { details: { field: 'content-type' } },
        );
      }
      uploads.deliver(request.params.token, length, body);
      try {
        await finished(body);
      } catch (error) {
        throw new SkiffError('conflict', 'the launch stopped reading the upload (its own answer says why)', {
          cause: error,
        });
      }
      return reply.status(204).send();
    },
  );
}
