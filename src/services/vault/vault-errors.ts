/**
 * @module The vault's own failures, built in one place so every message names the file or URL and what was
 * kept or removed. Callers branch on `code` (`disk-full`, `checksum-mismatch`, `download-failed`), never on the text.
 */
import { ChecksumMismatchError, DiskFullError, isSkiffError } from '../../core/errors.js';
import { DownloadError, type FetchError } from '../../core/fetch-error.js';

/** True for the errno of a full disk (or an exhausted quota). */
export function isDiskFull(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return code === 'ENOSPC' || code === 'EDQUOT';
}

/** A vault error about a full (or too small) filesystem, raised here or by a pre-check. */
export function isNoSpace(error: unknown): boolean {
  return isSkiffError(error) && error.code === 'disk-full';
}

/** The disk filled up while writing an image; nothing half-written is left. */
export function diskFullError(dir: string, what: string, cause: unknown): DiskFullError {
  return new DiskFullError(
    `the filesystem holding ${dir} is full (no space left on device) while ${what}; the unfinished file was removed`,
    { cause, dir },
  );
}

/** An image expands to more than the room left: stopped before the filesystem filled up. */
export function noRoomError(dir: string, what: string, cause: unknown): DiskFullError {
  const maxBytes = (cause as { details?: { maxBytes?: number } }).details?.maxBytes ?? 0;
  return new DiskFullError(
    `the filesystem holding ${dir} is too small while ${what}: the image expands to more than the ` +
      `${mib(maxBytes)} MiB free; stopped before the disk filled, and the unfinished file was removed`,
    { cause, dir },
  );
}

/** Not enough free space to start: nothing was written. */
export function notEnoughSpaceError(
  dir: string,
  what: string,
  neededBytes: number,
  freeBytes: number,
): DiskFullError {
  return new DiskFullError(
    `not enough free disk space in ${dir} to ${what}: ${mib(freeBytes)} MiB free, ${mib(neededBytes)} MiB needed`,
    { dir, neededBytes, freeBytes },
  );
}

/** The downloaded bytes are not the ones the catalog describes; the download was deleted. */
export function checksumError(
  url: string,
  expected: string,
  actual: string,
  sizeBytes: number,
): ChecksumMismatchError {
  return new ChecksumMismatchError(
    `image downloaded from ${url} is corrupt: its sha256 is ${actual} but the catalog says ${expected} ` +
      `(${sizeBytes} bytes received); the download was deleted`,
    { url, expectedSha256: expected, actualSha256: actual, sizeBytes },
  );
}

/** A network failure, restated with what was kept for the next attempt. */
export function interruptedError(error: FetchError, keptBytes: number): DownloadError {
  const kept = keptBytes > 0 ? `; ${keptBytes} bytes are kept and the next attempt resumes from there` : '';
  return new DownloadError(
    { ...error.failure, message: `${error.failure.message}${kept}` },
    { cause: error },
  );
}

const mib = (bytes: number) => Math.ceil(bytes / 2 ** 20);
