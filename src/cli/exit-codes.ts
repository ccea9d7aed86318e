/**
 * @module Multipass's exit codes, and which error code maps to which. Multipass has few: skiff's finer codes
 * (a download failure, a full disk, a missing program) all exit 2, as Multipass's generic failure does.
 */
import type { ErrorCode } from '../core/errors.js';

export const EXIT = { ok: 0, usage: 1, failed: 2, daemonUnreachable: 3, timeout: 5 } as const;

export function exitCodeFor(code: ErrorCode): number {
  switch (code) {
    case 'invalid-argument':
      return EXIT.usage;
    case 'daemon-unreachable':
      return EXIT.daemonUnreachable;
    case 'timeout':
      return EXIT.timeout;
    case 'not-found':
    case 'conflict':
    case 'unsupported':
    case 'catalog-unavailable':
    case 'download-failed':
    case 'checksum-mismatch':
    case 'disk-full':
    case 'missing-dependency':
    case 'key-unreadable':
    case 'permission-denied':
    case 'unauthenticated':
    case 'internal':
      return EXIT.failed;
    default: {
      // The compiler checks every code is listed; at run time an unknown one is a plain failure.
      const unknown: never = code;
      void unknown;
      return EXIT.failed;
    }
  }
}
