/**
 * @module Encodes a remote's status for the wire.
 */
import type { RemoteJson } from '../../api/contract.js';
import type { RemoteStatus } from '../../services/catalog/remote-catalog.js';

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

export function remoteJson(status: RemoteStatus): RemoteJson {
  return {
    name: status.name,
    url: status.url,
    state: status.state,
    last_success: iso(status.lastSuccessMs),
    last_error: status.lastError,
    next_attempt: iso(status.nextAttemptMs),
    attempting: status.attempting,
    images: status.imageCount,
  };
}
