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

/** JSON schema of RemoteJson, for validation of responses and the OpenAPI document. */
export const remoteJsonSchema = {
  type: 'object',
  properties: {
    name: { type: 'string' },
    url: { type: 'string' },
    state: { type: 'string', enum: ['fresh', 'stale', 'unreachable', 'pending'] },
    last_success: { type: ['string', 'null'] },
    last_error: {
      anyOf: [
        { type: 'null' },
        {
          type: 'object',
          properties: { cause: { type: 'string' }, url: { type: 'string' }, message: { type: 'string' } },
        },
      ],
    },
    next_attempt: { type: ['string', 'null'] },
    attempting: { type: 'boolean' },
    images: { type: 'integer' },
  },
} as const;
