/**
 * @module The network half of the composition root: skiff's managed NAT network (bridge, dnsmasq, nftables)
 * built from its backends. Used by the daemon (compose-instances.ts) and by `skiffd --remove-network`.
 */
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import type { Logger } from 'pino';
import { systemClock, type Clock } from '../core/clock.js';
import { DnsmasqServer } from '../backends/net/dnsmasq.js';
import { IpBridgeLink, IpHostAddressing } from '../backends/net/iproute.js';
import { NftNatFirewall } from '../backends/net/nftables.js';
import { ManagedNetworkService } from '../services/network/managed-network.js';
import { reportStateLoad } from './state-report.js';

export interface ComposeNetworkOptions {
  dataDir: string;
  logger: Logger;
  /** Default `skiffbr0`. */
  bridgeName?: string;
  /** The `local.subnet` setting, when set. @throws SkiffError invalid-argument naming local.subnet */
  subnet?: string;
  /**
   * Where the files dnsmasq re-reads as user nobody live; every path component must let others enter.
   * Default `/run/skiff/network-<hash of dataDir>`: the data dir is root's alone, and one host may run several
   * daemons (tests do, one per network namespace).
   */
  runDir?: string;
  /** The upstream resolvers dnsmasq forwards to; default /etc/resolv.conf. */
  resolvFile?: string;
  superviseIntervalMs?: number;
  clock?: Clock;
}

/** The run dir of the daemon whose data dir is `dataDir`. */
export function defaultRunDir(dataDir: string): string {
  const id = createHash('sha256').update(dataDir).digest('hex').slice(0, 12);
  return join('/run/skiff', `network-${id}`);
}

/**
 * Builds the managed network and reads its state (logging what needed recovery). Nothing changes on the
 * host until `network.ensure()`. `close()` stops the dnsmasq supervisor; the network keeps running.
 */
export async function composeNetwork(
  options: ComposeNetworkOptions,
): Promise<{ network: ManagedNetworkService; close(): void }> {
  const log = options.logger.child({ component: 'network' });
  const dir = join(options.dataDir, 'network');
  const network = new ManagedNetworkService({
    dir,
    bridge: options.bridgeName,
    subnet: options.subnet,
    host: new IpHostAddressing(),
    bridgeLink: new IpBridgeLink(),
    dns: new DnsmasqServer({
      stateDir: dir,
      runDir: options.runDir ?? defaultRunDir(options.dataDir),
      resolvFile: options.resolvFile,
    }),
    nat: new NftNatFirewall(),
    clock: options.clock ?? systemClock,
    superviseIntervalMs: options.superviseIntervalMs,
    log,
  });
  reportStateLoad(log, 'network/network.json', await network.load());
  return { network, close: () => network.close() };
}
