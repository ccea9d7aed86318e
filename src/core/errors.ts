/**
 * @module The single error root of skiff and its families with fixed codes (as undici's `lib/core/errors.js`).
 * Callers branch on `code`, never on messages.
 */

/**
 * Stable error codes; the daemon maps each to one HTTP status (api/contract.ts), the CLI to one of Multipass's
 * exit codes (cli/exit-codes.ts). A code names what failed, so a script or a retry policy can tell a network
 * failure from a full disk without reading the text.
 */
export const ERROR_CODES = [
  'invalid-argument',
  'not-found',
  'conflict',
  /** The VM driver in use lacks a capability (`the qemu driver does not support snapshots`). */
  'unsupported',
  'timeout',
  /** No remote's catalog (index, products) could be read, so an image could not be looked up. */
  'catalog-unavailable',
  /** Fetching an image (network or HTTP failure); what can be resumed is kept. Retrying may help. */
  'download-failed',
  /** The downloaded bytes are not the ones the catalog describes; the download was deleted. */
  'checksum-mismatch',
  /** The filesystem holding skiff's data is full or too small for what was asked. */
  'disk-full',
  /** A program skiff runs is not installed (QEMU, qemu-img, genisoimage, ssh, ssh-keygen, xz). */
  'missing-dependency',
  /** The daemon's SSH key cannot be read or is not a usable key. */
  'key-unreadable',
  /** The caller may not do this (a host port below 1024 for a caller who is not root). */
  'permission-denied',
  /** The client is not trusted by skiffd yet: it must `skiff authenticate` (or be root, or the first user). */
  'unauthenticated',
  'daemon-unreachable',
  'internal',
] as const;

export type ErrorCode = (typeof ERROR_CODES)[number];

/** True for a string that is one of the codes above (a newer daemon may send one this client lacks). */
export function isErrorCode(value: unknown): value is ErrorCode {
  return typeof value === 'string' && (ERROR_CODES as readonly string[]).includes(value);
}

export interface SkiffErrorOptions {
  cause?: unknown;
  /** Structured details that travel over the API with the error (e.g. the field that was invalid). */
  details?: Record<string, unknown>;
}

/** Shared by every copy of this module (Symbol.for), so the brand survives two copies of skiff in one process. */
const BRAND: unique symbol = Symbol.for('skiff.error') as never;

/** Root of every error skiff raises on purpose. */
export class SkiffError extends Error {
  readonly code: ErrorCode;
  readonly details: Record<string, unknown> | undefined;
  declare readonly [BRAND]: true;

  constructor(code: ErrorCode, message: string, options: SkiffErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'SkiffError';
    this.code = code;
    this.details = options.details;
  }
}
// On the prototype, not each instance: it stays out of logs and JSON, and subclasses inherit it.
Object.defineProperty(SkiffError.prototype, BRAND, { value: true });

/** True for any SkiffError or subclass, also across module copies (brand check, not instanceof). */
export function isSkiffError(value: unknown): value is SkiffError {
  return (
    value instanceof Error &&
    (value as { [BRAND]?: unknown })[BRAND] === true &&
    typeof (value as { code?: unknown }).code === 'string'
  );
}

/** The filesystem holding `dir` is full or too small; `details.dir` names it. Code `disk-full`. */
export class DiskFullError extends SkiffError {
  constructor(
    message: string,
    options: { dir: string; neededBytes?: number; freeBytes?: number; cause?: unknown },
  ) {
    const { cause, ...details } = options;
    super('disk-full', message, { cause, details });
    this.name = 'DiskFullError';
  }
}

/** A program skiff needs is not on PATH; the message says which package provides it. Code `missing-dependency`. */
export class MissingDependencyError extends SkiffError {
  constructor(message: string, options: { program: string; package: string; cause?: unknown }) {
    super('missing-dependency', message, {
      cause: options.cause,
      details: { program: options.program, package: options.package },
    });
    this.name = 'MissingDependencyError';
  }
}

/** The SSH key at `details.path` cannot be read or is not a key. Code `key-unreadable`. */
export class KeyUnreadableError extends SkiffError {
  constructor(message: string, options: { path: string; cause?: unknown }) {
    super('key-unreadable', message, { cause: options.cause, details: { path: options.path } });
    this.name = 'KeyUnreadableError';
  }
}

/** Downloaded bytes whose sha256 differs from the catalog's. Code `checksum-mismatch`. */
export class ChecksumMismatchError extends SkiffError {
  constructor(
    message: string,
    details: { url: string; expectedSha256: string; actualSha256: string; sizeBytes: number },
  ) {
    super('checksum-mismatch', message, { details });
    this.name = 'ChecksumMismatchError';
  }
}
