/**
 * @module Settings: list, get and set by Multipass key.
 */
import type { FastifyInstance } from 'fastify';
import {
  PATHS,
  type SetSettingBody,
  type SettingParams,
  type SettingResponse,
  type SettingsResponse,
} from '../../api/contract.js';
import { setSettingBodySchema, settingParamsSchema } from '../../api/schemas.js';
import type { Services } from '../services.js';

export function registerSettingsRoutes(app: FastifyInstance, { settings }: Services): void {
  app.get(PATHS.settings, { schema: { summary: 'all settings' } }, async (): Promise<SettingsResponse> => ({
    settings: settings.all(),
  }));

  app.get<{ Params: SettingParams }>(
    `${PATHS.settings}/:key`,
    { schema: { summary: 'one setting', params: settingParamsSchema } },
    async (request): Promise<SettingResponse> => ({
      key: request.params.key,
      value: settings.get(request.params.key),
    }),
  );

  app.put<{ Params: SettingParams; Body: SetSettingBody }>(
    `${PATHS.settings}/:key`,
    {
      schema: {
        summary: 'change one setting (validated; invalid values change nothing)',
        params: settingParamsSchema,
        body: setSettingBodySchema,
      },
    },
    async (request): Promise<SettingResponse> => ({
      key: request.params.key,
      value: await settings.set(request.params.key, request.body.value),
    }),
  );
}
