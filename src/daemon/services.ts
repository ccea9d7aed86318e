/**
 * @module What routes can reach: the services, built by compose.ts.
 */
import type { Socket } from 'node:net';
import type { CatalogService } from '../services/catalog/catalog-service.js';
import type { ExecService } from '../services/exec/exec-service.js';
import type { ForwardsService } from '../services/forwards/forwards-service.js';
import type { InstancesService } from '../services/instances/instances.js';
import type { MountsService } from '../services/mounts/mounts-service.js';
import type { Caller } from '../services/mounts/ports.js';
import type { SnapshotsService } from '../services/snapshots/snapshots-service.js';
import type { Vault } from '../services/vault/vault.js';
import type { SettingsService } from '../services/settings/settings-service.js';
import type { TrustService } from '../services/trust/trust-service.js';
import type { ConnectionIdentity } from './client-identity.js';

export interface Services {
  version: string;
  catalog: CatalogService;
  settings: SettingsService;
  instances: InstancesService;
  vault: Vault;
  forwards: ForwardsService;
  mounts: MountsService;
  snapshots: SnapshotsService;
  exec: ExecService;
  /** Which clients may use skiffd (users of the socket, registered certificates) and `authenticate`. */
  trust: TrustService;
  /** Who is at the other end of an API connection (a local user, a remote certificate), once per connection. */
  identity(socket: Socket): Promise<ConnectionIdentity>;
  /** The uid of the process at the other end of an API connection (SO_PEERCRED), null when unknown or remote. */
  callerUid(socket: Socket): Promise<number | null>;
  /** The uid and gid of that process, null when unknown or remote (TLS). */
  caller(socket: Socket): Promise<Caller | null>;
}
