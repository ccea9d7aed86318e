/**
 * @module The `--timeout SECONDS` option shared by several commands.
 */
import { SkiffError } from '../core/errors.js';

/** @throws SkiffError('invalid-argument') unless a whole number of seconds from 1 to 86400 (or absent). */
export function parseTimeoutS(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const seconds = Number(value);
  if (!/^\d+$/.test(value.trim()) || seconds < 1 || seconds > 86_400) {
    throw new SkiffError(
      'invalid-argument',
      `--timeout: expected a whole number of seconds from 1 to 86400, got "${value}"`,
    );
  }
  return seconds;
}
