/**
 * @module Settings: list, get and set by Multipass key.
 */
import type { FastifyInstance } from 'fastify';
import { PATHS, type SettingResponse, type SettingsResponse } from '../../api/contract.js';
import type { Services } from '../services.js';

const keyParams = {
  type: 'object',
  properties: { key: { type: 'string', minLength: 1, maxLength: 200 } },
  required: ['key'],
} as const;

export function registerSettingsRoutes(app: FastifyInstance, { settings }: Services): void {
  app.get(PATHS.settings, { schema: { summary: 'all settings' } }, async (): Promise<SettingsResponse> => ({
    settings: settings.all(),
  }));

  app.get<{ Params: { key: string } }>(
    `${PATHS.settings}/:key`,
    { schema: { summary: 'one setting', params: keyParams } },
    async (request): Promise<SettingResponse> => ({
      key: request.params.key,
      value: settings.get(request.params.key),
    }),
  );

  app.put<{ Params: { key: string }; Body: { value: string } }>(
    `${PATHS.settings}/:key`,
    {
      schema: {
        summary: 'change one setting (validated; invalid values change nothing)',
        params: keyParams,
        body: {
          type: 'object',
          properties: { value: { type: 'string', maxLength: 4096 } },
          required: ['value'],
          additionalProperties: false,
        },
      },
    },
    async (request): Promise<SettingResponse> => ({
      key: request.params.key,
      value: await settings.set(request.params.key, request.body.value),
    }),
  );
}
