/**
 * @module The single error root of skiff. Callers branch on `code`, never on messages.
 */

/** Stable error codes; the daemon maps each to one HTTP status, the CLI to one exit code. */
export type ErrorCode =
  | 'invalid-argument'
  | 'not-found'
  | 'conflict'
  /** The VM driver in use lacks a capability (`the qemu driver does not support snapshots`). */
  | 'unsupported'
  | 'timeout'
  | 'catalog-unavailable'
  | 'daemon-unreachable'
  | 'internal';

export interface SkiffErrorOptions {
  cause?: unknown;
  /** Structured details that travel over the API with the error (e.g. the field that was invalid). */
  details?: Record<string, unknown>;
}

/** Root of every error skiff raises on purpose. */
export class SkiffError extends Error {
  readonly code: ErrorCode;
  readonly details: Record<string, unknown> | undefined;

  constructor(code: ErrorCode, message: string, options: SkiffErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'SkiffError';
    this.code = code;
    this.details = options.details;
  }
}

/** True for any SkiffError, also across module copies (brand check, not instanceof). */
export function isSkiffError(value: unknown): value is SkiffError {
  return (
    value instanceof Error &&
    typeof (value as { code?: unknown }).code === 'string' &&
    value.name === 'SkiffError'
  );
}
