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
  const { validation, validationContext } = error as {
    validation?: ValidationIssue[];
    validationContext?: string;
  };
  if (Array.isArray(validation)) {
    const message = validation
      .map((issue) => describeIssue(validationContext ?? 'request', issue))
      .join('; ');
    return {
      status: 400,
      body: { error: { code: 'invalid-argument', message, details: { issues: validation } } },
    };
  }
  const statusCode = (error as { statusCode?: number }).statusCode;
  if (statusCode && statusCode >= 400 && statusCode < 500) {
    return {
      status: statusCode,
      body: { error: { code: 'invalid-argument', message: (error as Error).message } },
    };
  }
  log.error({ err: error }, 'unexpected error');
  const message = error instanceof Error ? error.message : String(error);
  // A write that no layer wrapped still says what the user can act on: the disk, not the daemon, failed.
  const errno = (error as { code?: unknown } | null)?.code;
  if (errno === 'ENOSPC' || errno === 'EDQUOT') {
    const body: ErrorBody = { error: { code: 'disk-full', message: `the disk is full: ${message}` } };
    return { status: HTTP_STATUS['disk-full'], body };
  }
  return { status: 500, body: { error: { code: 'internal', message: `internal error: ${message}` } } };
}

interface ValidationIssue {
  instancePath?: string;
  message?: string;
  params?: { additionalProperty?: string; missingProperty?: string };
}

/** One schema violation as a sentence that names the field, e.g. `querystring/timeout must be number`. */
function describeIssue(context: string, issue: ValidationIssue): string {
  const field = `${context}${issue.instancePath ?? ''}`;
  if (issue.params?.additionalProperty) return `${field}: unknown field "${issue.params.additionalProperty}"`;
  if (issue.params?.missingProperty)
    return `${field}: missing required field "${issue.params.missingProperty}"`;
  return `${field} ${issue.message ?? 'is invalid'}`;
}
