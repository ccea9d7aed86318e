import assert from 'node:assert/strict';
import { test } from 'node:test';
import { HTTP_STATUS } from '../api/contract.js';
import { ERROR_CODES, type ErrorCode } from '../core/errors.js';
import { EXIT, exitCodeFor } from './exit-codes.js';

/** Each code's HTTP status (skiffd) and Multipass exit code (skiff). The finer codes exit 2, as before. */
const MAPPING: Record<ErrorCode, [status: number, exit: number]> = {
  'invalid-argument': [400, 1],
  'not-found': [404, 2],
  conflict: [409, 2],
  unsupported: [501, 2],
  timeout: [504, 5],
  'catalog-unavailable': [503, 2],
  'download-failed': [502, 2],
  'checksum-mismatch': [502, 2],
  'disk-full': [507, 2],
  'missing-dependency': [500, 2],
  'key-unreadable': [500, 2],
  'permission-denied': [403, 2],
  unauthenticated: [401, 2],
  'daemon-unreachable': [502, 3],
  internal: [500, 2],
};

test('every error code maps to one HTTP status and one Multipass exit code', () => {
  assert.deepEqual(Object.keys(MAPPING).sort(), [...ERROR_CODES].sort());
  for (const code of ERROR_CODES) {
    assert.equal(HTTP_STATUS[code], MAPPING[code][0], `HTTP status of ${code}`);
    assert.equal(exitCodeFor(code), MAPPING[code][1], `exit code of ${code}`);
  }
});

test('a code this CLI does not know (from a newer daemon) exits as a plain failure, never as a string', () => {
  assert.equal(exitCodeFor('some-future-code' as ErrorCode), EXIT.failed);
});
