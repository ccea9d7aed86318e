/**
 * @module What routes can reach: the services, built by compose.ts.
 */
import type { CatalogService } from '../services/catalog/catalog-service.js';
import type { SettingsService } from '../services/settings/settings-service.js';

export interface Services {
  version: string;
  catalog: CatalogService;
  settings: SettingsService;
}
