/**
 * @module skiffd's command line. Pure: argv and environment in, options out.
 */
import { parseArgs } from 'node:util';
import { defaultDataDir, defaultSocketPath, type HostIdentity } from '../api/endpoint.js';
import { parseServerAddress } from '../api/server-address.js';
import { SkiffError } from '../core/errors.js';
import { DEFAULT_TUNING, type CatalogTuning } from './catalog-tuning.js';

export interface DaemonOptions {
  dataDir: string;
  socket: string;
  /** Also serve HTTPS on this TCP address (`--address HOST:PORT`); null: the socket only. */
  address: { host: string; port: number } | null;
  logLevel: string;
  /** Default of `local.image.mirror` when the setting was never set (air-gapped installs, tests). */
  imageMirror: string;
  /** Default of `local.network-mode` when the setting was never set; null: nat as root, else user. */
  networkMode: 'nat' | 'user' | null;
  tuning: CatalogTuning;
  help: boolean;
  version: boolean;
  /** Remove skiff's NAT network (dnsmasq, bridge, nftables table), print what was removed, and exit. */
  removeNetwork: boolean;
}

export const DAEMON_USAGE = `Usage: skiffd [options]

The skiff daemon: serves the skiff API on a Unix socket and keeps the image catalogs fresh.

Options:
  --data-dir DIR            state directory (env SKIFF_DATA_DIR; default /var/lib/skiff as root, else XDG data dir)
  --socket PATH             API socket (env SKIFF_SOCKET; default /run/skiff/skiffd.sock as root,
                            else $XDG_RUNTIME_DIR/skiff/skiffd.sock)
  --address HOST:PORT       also serve the API over HTTPS on this address, for remote clients
                            (SKIFF_SERVER_ADDRESS=HOST:PORT); clients register with 'skiff authenticate'.
                            Default: none, the socket only
  --image-mirror URL        default for the local.image.mirror setting (a base URL with releases/ and daily/)
  --network-mode MODE       default for the local.network-mode setting: nat (a bridge, root only) or
                            user (QEMU user-mode networking) (env SKIFF_NETWORK_MODE; default nat as root)
  --log-level LEVEL         trace|debug|info|warn|error (default info, env SKIFF_LOG_LEVEL)
  --remove-network          remove skiff's NAT network (its dnsmasq, bridge and nftables table), print what
                            was removed and exit; refused while instances are attached to the bridge.
                            Stop skiffd first, or it brings the network back at the next launch.
                            Reservations (each instance's address) are kept.
  --version                 print the version and exit
  -h, --help                this help

Catalog tuning (defaults are right for users; these exist for tests and benchmarks):
  --retry-initial-ms N      first retry delay after a failed refresh (5000)
  --retry-factor N          backoff multiplier (2; 1 = fixed interval)
  --retry-max-ms N          backoff cap (900000)
  --retry-jitter N          jitter fraction in [0,1) (0.2)
  --refresh-interval-ms N   refresh period after a success (900000)
  --attempt-timeout-ms N    deadline of one refresh attempt (60000)
  --waiting-retry-ms N      retry period while a request waits for a catalog (5000)
  --network-debounce-ms N   delay that groups network-change events (100)
  --no-network-watch        do not watch network changes (retry on the backoff schedule only)`;

const NUMERIC = {
  'retry-initial-ms': (t: CatalogTuning, v: number) => (t.backoff.initialMs = v),
  'retry-factor': (t: CatalogTuning, v: number) => (t.backoff.factor = v),
  'retry-max-ms': (t: CatalogTuning, v: number) => (t.backoff.maxMs = v),
  'retry-jitter': (t: CatalogTuning, v: number) => (t.backoff.jitter = v),
  'refresh-interval-ms': (t: CatalogTuning, v: number) => (t.refreshIntervalMs = v),
  'attempt-timeout-ms': (t: CatalogTuning, v: number) => (t.attemptTimeoutMs = v),
  'waiting-retry-ms': (t: CatalogTuning, v: number) => (t.waitingRetryMs = v),
  'network-debounce-ms': (t: CatalogTuning, v: number) => (t.networkDebounceMs = v),
} as const;

/** @throws SkiffError('invalid-argument') naming the bad option. */
export function parseDaemonOptions(argv: string[], host: HostIdentity): DaemonOptions {
  const numeric = Object.fromEntries(Object.keys(NUMERIC).map((k) => [k, { type: 'string' as const }]));
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      options: {
        'data-dir': { type: 'string' },
        socket: { type: 'string' },
        address: { type: 'string' },
        'log-level': { type: 'string' },
        'image-mirror': { type: 'string' },
        'network-mode': { type: 'string' },
        'no-network-watch': { type: 'boolean' },
        'remove-network': { type: 'boolean' },
        version: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
        ...numeric,
      },
      strict: true,
      allowPositionals: false,
    });
  } catch (error) {
    throw new SkiffError('invalid-argument', (error as Error).message);
  }
  const values = parsed.values as Record<string, string | boolean | undefined>;
  const tuning: CatalogTuning = { ...DEFAULT_TUNING, backoff: { ...DEFAULT_TUNING.backoff } };
  for (const [name, apply] of Object.entries(NUMERIC)) {
    const raw = values[name];
    if (typeof raw !== 'string') continue;
    const value = Number(raw);
    if (!Number.isFinite(value) || value < 0) {
      throw new SkiffError('invalid-argument', `--${name}: expected a non-negative number, got "${raw}"`);
    }
    apply(tuning, value);
  }
  if (values['no-network-watch']) tuning.watchNetwork = false;
  const logLevel = (values['log-level'] as string | undefined) ?? host.env.SKIFF_LOG_LEVEL ?? 'info';
  if (!['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'].includes(logLevel)) {
    throw new SkiffError('invalid-argument', `--log-level: unknown level "${logLevel}"`);
  }
  const networkMode = (values['network-mode'] as string | undefined) ?? host.env.SKIFF_NETWORK_MODE ?? null;
  if (networkMode !== null && networkMode !== 'nat' && networkMode !== 'user') {
    throw new SkiffError('invalid-argument', `--network-mode: expected nat or user, got "${networkMode}"`);
  }
  const addressText = values.address as string | undefined;
  const address = addressText === undefined ? null : parseServerAddress(addressText, '--address', false);
  return {
    networkMode,
    address: address?.kind === 'tcp' ? { host: address.host, port: address.port } : null,
    dataDir: (values['data-dir'] as string | undefined) ?? defaultDataDir(host),
    socket: (values.socket as string | undefined) ?? defaultSocketPath(host),
    logLevel,
    imageMirror: (values['image-mirror'] as string | undefined) ?? '',
    tuning,
    help: values.help === true,
    version: values.version === true,
    removeNetwork: values['remove-network'] === true,
  };
}
