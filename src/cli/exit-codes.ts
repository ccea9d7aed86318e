/**
 * @module Multipass's exit codes, and which error code maps to which.
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
    case 'internal':
      return EXIT.failed;
    default: {
      const never: never = code;
      return never;
    }
  }
}
