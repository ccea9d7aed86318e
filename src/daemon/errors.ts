/**
 * @module The one place where errors become HTTP responses.
 */
import type { FastifyBaseLogger } from 'fastify';
import { HTTP_STATUS, type ErrorBody } from '../api/contract.js';
import { isSkiffError } from '../core/errors.js';

/** Maps any error to a status and an error body; unexpected errors are logged and reported as internal. */
export function errorBody(error: unknown, log: FastifyBaseLogger): { status: number; body: ErrorBody } {
  if (isSkiffError(error)) {
    const body: ErrorBody = { error: { code: error.code, message: error.message } };
    if (error.details) body.error.details = error.details;
    return { status: HTTP_STATUS[error.code], body };
  }
  const validation = (error as { validation?: unknown; message?: string }).validation;
  if (validation) {
    const message = (error as Error).message;
    return { status: 400, body: { error: { code: 'invalid-argument', message } } };
  }
  const statusCode = (error as { statusCode?: number }).statusCode;
  if (statusCode && statusCode >= 400 && statusCode < 500) {
    return { status: statusCode, body: { error: { code: 'invalid-argument', message: (error as Error).message } } };
  }
  log.error({ err: error }, 'unexpected error');
  const message = error instanceof Error ? error.message : String(error);
  return { status: 500, body: { error: { code: 'internal', message: `internal error: ${message}` } } };
}
