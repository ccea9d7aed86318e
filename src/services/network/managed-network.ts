/**
 * @module skiff's managed NAT network: a bridge with the gateway address of a private subnet chosen at first
 * start (or given), dnsmasq for DHCP reservations and `NAME.skiff`, and skiff's own nftables table. It all
 * outlives the daemon: the next one re-adopts it, and a supervisor restarts dnsmasq when it dies.
 * Operations run one at a time, so a reservation never races a (re)start of dnsmasq.
 */
import type { Clock, TimerHandle } from '../../core/clock.js';
import { SkiffError } from '../../core/errors.js';
import type { ManagedNetwork } from '../instances/ports.js';
import type { StateLoad } from '../persist/state-file.js';
import { loadNetworkState, saveNetworkState, type NetworkState } from './network-state.js';
import { plan, settled, type PlanInput } from './network-plan.js';
import type { BridgeLink, DnsDhcpConfig, DnsDhcpServer, HostAddressing, NatFirewall } from './ports.js';
import { checkReservationInput, release, reserve } from './reservations.js';
import { parseCidr, subnetCandidates, subnetHosts, validateSubnet, type Subnet } from './subnet.js';

export const DEFAULT_BRIDGE = 'skiffbr0';
export const DNS_DOMAIN = 'skiff';
/** How often the supervisor looks at dnsmasq (reading a pidfile and /proc: cheap). */
export const DEFAULT_SUPERVISE_INTERVAL_MS = 5000;

interface Log {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

export interface ManagedNetworkOptions {
  /** Where its state file lives (the data dir's `network/`). */
  dir: string;
  /** Default `skiffbr0`. */
  bridge?: string;
  /** An explicit subnet (the `local.subnet` setting); validated here. @throws SkiffError invalid-argument */
  subnet?: string;
  /** Seeds the candidate subnets (default: the bridge name), so every start tries the same ones. */
  seed?: string;
  /** The candidates to try instead of the seeded ones (tests). */
  candidates?: Subnet[];
  host: HostAddressing;
  bridgeLink: BridgeLink;
  dns: DnsDhcpServer;
  nat: NatFirewall;
  clock: Clock;
  superviseIntervalMs?: number;
  log: Log;
}

/** Where the network stands, for logs and `skiffd --remove-network`. */
export interface NetworkStatus {
  bridge: string;
  subnet: string | null;
  gateway: string | null;
  dnsmasqPid: number | null;
  reservations: number;
}

export class ManagedNetworkService implements ManagedNetwork {
  readonly #o: ManagedNetworkOptions;
  readonly #bridge: string;
  readonly #explicit: Subnet | null;
  #state: NetworkState | null = null;
  #loaded = false;
  #chain: Promise<unknown> = Promise.resolve();
  #timer: TimerHandle | null = null;
  /** True from the first ensure() until teardown()/close(): only then does the supervisor act. */
  #wanted = false;

  constructor(options: ManagedNetworkOptions) {
    this.#o = options;
    this.#bridge = options.bridge ?? DEFAULT_BRIDGE;
    // Linux interface names: at most 15 bytes, no '/', ':' or blanks; the nft script quotes it too.
    if (!/^[A-Za-z0-9_.-]{1,15}$/.test(this.#bridge)) {
      throw new SkiffError('invalid-argument', `bridge: "${this.#bridge}" is not a usable interface name`, {
        details: { field: 'bridge', value: this.#bridge },
      });
    }
    this.#explicit = options.subnet === undefined ? null : validateSubnet(options.subnet);
  }

  /** Reads the state file (ensure() does it too); @returns what was wrong with it, for the daemon log. */
  async load(): Promise<StateLoad<NetworkState>> {
    const loaded = await loadNetworkState(this.#o.dir, this.#o.clock.now());
    this.#state = loaded.value;
    this.#loaded = true;
    return loaded;
  }

  ensure(): Promise<{ bridge: string }> {
    return this.#serial(async () => {
      const state = await this.#prepare();
      const subnet = parseCidr(state.subnet) as Subnet;
      const { gateway } = subnetHosts(subnet);
      const link = await this.#o.bridgeLink.ensure(state.bridge, `${gateway}/${subnet.prefixLength}`);
      if (link.created || link.readdressed) {
        this.#o.log.info({ bridge: state.bridge, gateway, subnet: state.subnet, ...link }, 'bridge ready');
      }
      await this.#o.nat.apply({ bridge: state.bridge, subnet: state.subnet });
      await this.#o.dns.setReservations(state.reservations, DNS_DOMAIN);
      // dnsmasq binds to the bridge's address and index: a new bridge or address needs a new dnsmasq.
      if ((link.created || link.readdressed) && (await this.#o.dns.running()) !== null) {
        const pid = await this.#o.dns.stop();
        this.#o.log.info({ pid }, 'stopped dnsmasq: the bridge was re-created or re-addressed');
      }
      await this.#ensureDns(false);
      this.#wanted = true;
      this.#schedule();
      return { bridge: state.bridge };
    });
  }

  async reserve(name: string, mac: string): Promise<string> {
    const input = checkReservationInput(name, mac);
    return this.#serial(async () => {
      const state = await this.#prepare();
      const before = state.reservations.find((r) => r.name === input.name);
      const { reservations, reservation } = reserve(
        state.reservations,
        parseCidr(state.subnet) as Subnet,
        input.name,
        input.mac,
      );
      if (before?.mac !== reservation.mac) await this.#commit({ ...state, reservations });
      return reservation.ipv4;
    });
  }

  release(name: string): Promise<void> {
    return this.#serial(async () => {
      if (!this.#loaded) await this.load();
      const state = this.#state;
      if (state === null || !state.reservations.some((r) => r.name === name)) return;
      await this.#commit({ ...state, reservations: release(state.reservations, name) });
    });
  }

  leases(): Promise<ReadonlyMap<string, string[]>> {
    return this.#o.dns.leases();
  }

  async status(): Promise<NetworkStatus> {
    if (!this.#loaded) await this.load();
    const subnet = this.#state === null ? null : (parseCidr(this.#state.subnet) as Subnet);
    return {
      bridge: this.#state?.bridge ?? this.#bridge,
      subnet: this.#state?.subnet ?? null,
      gateway: subnet === null ? null : subnetHosts(subnet).gateway,
      dnsmasqPid: await this.#o.dns.running(),
      reservations: this.#state?.reservations.length ?? 0,
    };
  }

  /**
   * Removes what ensure() made: dnsmasq, the bridge, the nftables table; the reservations (and the subnet)
   * stay unless `forgetReservations`. IPv4 forwarding stays on: something else may rely on it now.
   * @returns one line per thing removed. @throws SkiffError conflict while links are attached to the bridge
   */
  teardown(options: { forgetReservations?: boolean } = {}): Promise<string[]> {
    return this.#serial(async () => {
      if (!this.#loaded) await this.load();
      const bridge = this.#state?.bridge ?? this.#bridge;
      const ports = await this.#o.bridgeLink.ports(bridge);
      if (ports.length > 0) {
        throw new SkiffError(
          'conflict',
          `skiff's network is in use: ${ports.join(', ')} attached to ${bridge}; stop the instances on it first`,
          { details: { bridge, ports } },
        );
      }
      this.#stopSupervisor();
      const removed: string[] = [];
      const pid = await this.#o.dns.stop({ removeFiles: true });
      if (pid !== null) removed.push(`dnsmasq (pid ${pid})`);
      if (await this.#o.bridgeLink.remove(bridge)) removed.push(`bridge ${bridge}`);
      if (await this.#o.nat.remove()) removed.push('nftables table of skiff');
      if (options.forgetReservations && this.#state !== null) {
        removed.push(`${this.#state.reservations.length} reservation(s) and subnet ${this.#state.subnet}`);
        await saveNetworkState(this.#o.dir, { ...this.#state, reservations: [] });
        this.#state = null;
      }
      return removed;
    });
  }

  /** Stops the supervisor; the network itself keeps running for the next daemon. */
  close(): void {
    this.#stopSupervisor();
  }

  /** Loads the state and settles the subnet (choosing or changing it), persisting any change. */
  async #prepare(): Promise<NetworkState> {
    if (!this.#loaded) await this.load();
    const input: PlanInput = {
      current: this.#state,
      bridge: this.#bridge,
      explicit: this.#explicit,
      candidates: this.#o.candidates ?? subnetCandidates(this.#o.seed ?? this.#bridge),
    };
    const unchanged = settled(input);
    if (unchanged !== null) return unchanged;
    const used = (await this.#o.host.usedPrefixes()).filter((p) => p.dev !== this.#bridge);
    const { next, dropped } = plan(input, used);
    for (const r of dropped)
      this.#o.log.warn({ reservation: r }, 'reservation dropped: the new subnet is full');
    await saveNetworkState(this.#o.dir, next);
    const previous = input.current?.subnet ?? null;
    this.#state = next;
    this.#o.log.info(
      { bridge: next.bridge, subnet: next.subnet, previous, origin: next.origin },
      previous === null ? "chose the subnet of skiff's network" : "changed the subnet of skiff's network",
    );
    return next;
  }

  async #commit(next: NetworkState): Promise<void> {
    await saveNetworkState(this.#o.dir, next);
    this.#state = next;
    await this.#o.dns.setReservations(next.reservations, DNS_DOMAIN);
  }

  /** Adopts or (re)starts dnsmasq; the supervisor logs a restart as a warning, ensure() as news. */
  async #ensureDns(fromSupervisor: boolean): Promise<void> {
    const state = this.#state;
    if (state === null) return;
    const subnet = parseCidr(state.subnet) as Subnet;
    const config: DnsDhcpConfig = {
      bridge: state.bridge,
      gateway: subnetHosts(subnet).gateway,
      subnet: state.subnet,
      domain: DNS_DOMAIN,
    };
    const outcome = await this.#o.dns.ensure(config);
    if (outcome.action === 'started') {
      const fields = { pid: outcome.pid, why: outcome.why, bridge: state.bridge };
      if (fromSupervisor) this.#o.log.warn(fields, `restarted dnsmasq: ${outcome.why}`);
      else this.#o.log.info(fields, `started dnsmasq: ${outcome.why}`);
    }
  }

  #schedule(): void {
    if (this.#timer !== null) return;
    const interval = this.#o.superviseIntervalMs ?? DEFAULT_SUPERVISE_INTERVAL_MS;
    this.#timer = this.#o.clock.setTimeout(() => {
      this.#timer = null;
      void this.#serial(async () => {
        if (!this.#wanted) return;
        try {
          await this.#ensureDns(true);
        } catch (error) {
          this.#o.log.error({ err: error }, 'dnsmasq is down and could not be restarted; trying again later');
        }
        this.#schedule();
      }).catch(() => undefined);
    }, interval);
  }

  #stopSupervisor(): void {
    this.#wanted = false;
    if (this.#timer !== null) this.#o.clock.clearTimeout(this.#timer);
    this.#timer = null;
  }

  #serial<T>(run: () => Promise<T>): Promise<T> {
    const result = this.#chain.then(run, run);
    this.#chain = result.catch(() => undefined);
    return result;
  }
}
