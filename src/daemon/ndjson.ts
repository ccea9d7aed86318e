/**
 * @module Streams a long operation as NDJSON: progress lines, then one result or error line.
 * The client closing the connection aborts the operation's signal.
 */
import { PassThrough } from 'node:stream';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { NDJSON, type DownloadJson, type StreamLine } from '../api/contract.js';
import { errorBody } from './errors.js';

export type Operation<T> = (ctx: {
  progress: (message: string, download?: DownloadJson) => void;
  /** Tells the client to PUT its upload under `token` now (see UploadLine). */
  requestUpload: (token: string) => void;
  signal: AbortSignal;
}) => Promise<T>;

export function streamOperation<T>(
  request: FastifyRequest,
  reply: FastifyReply,
  run: Operation<T>,
): FastifyReply {
  const stream = new PassThrough();
  const controller = new AbortController();
  const write = (line: StreamLine<T>) => {
    if (!stream.writableEnded) stream.write(`${JSON.stringify(line)}\n`);
  };
  request.raw.socket.once('close', () => controller.abort());
  run({
    progress: (message, download) =>
      write(download ? { type: 'progress', message, download } : { type: 'progress', message }),
    requestUpload: (token) => write({ type: 'upload', token }),
    signal: controller.signal,
  })
    .then((result) => write({ type: 'result', result }))
    .catch((error: unknown) => {
      const { body } = errorBody(error, request.log);
      write({ type: 'error', error: body.error });
    })
    .finally(() => stream.end());
  return reply.type(NDJSON).send(stream);
}
