/**
 * @module The read side of the instances service: list, info and where SSH reaches a guest. It takes no lock:
 * answers come from the record, one shared power probe per instance (an answer up to 2 s old) and cached guest
 * facts, so read-only requests never wait behind an operation or a slow guest.
 */
import { SkiffError } from '../../core/errors.js';
import { GuestFactsCache, type GuestFactsCacheOptions, type GuestFactsReading } from './guest-facts-cache.js';
import { pinnedHostKey } from './guest-identity.js';
import type { LaunchDeps } from './launch.js';
import { networkModeOf } from './nics.js';
import type { SshTarget, VmInstance } from './ports.js';
import { PowerProbe } from './power-probe.js';
import { instanceDir } from './spec.js';
import { checkOperation, type InstanceState } from './state.js';
import type { InstanceRecord } from './store.js';

export interface InstanceView {
  record: InstanceRecord;
  state: InstanceState;
  /** Addresses the host can reach it at: its DHCP leases on skiff's bridge while it runs (NAT mode). */
  ipv4: string[];
}

export interface InstanceInfo extends InstanceView {
  /** What the guest last said about itself, with its age; null when the instance is not running. */
  guest: GuestFactsReading | null;
}

export interface InstanceReaderDeps extends Pick<
  LaunchDeps,
  'store' | 'clock' | 'shell' | 'network' | 'identity' | 'identityDir'
> {
  /** The driver's handle of a (checked) name. */
  vm: (name: string) => VmInstance;
  guestFacts?: Pick<
    GuestFactsCacheOptions,
    'refreshEveryMs' | 'keepWarmMs' | 'timeoutMs' | 'coldWaitMs' | 'staleAfterMs'
  >;
}

const isRunning = (state: string) => state === 'Running' || state === 'Delayed Shutdown';

export class InstanceReader {
  private readonly guestFacts: GuestFactsCache;
  private readonly power: PowerProbe;

  constructor(private readonly deps: InstanceReaderDeps) {
    this.guestFacts = new GuestFactsCache({
      ...deps.guestFacts,
      clock: deps.clock,
      shell: deps.shell,
      locate: (name) => {
        const record = deps.store.get(name);
        if (!record || !isRunning(record.state)) return null;
        return { target: this.target(record), boot: bootOf(record) };
      },
    });
    this.power = new PowerProbe({ clock: deps.clock, probe: (name) => deps.vm(name).power() });
  }

  /** Every instance with its live state. */
  async list(): Promise<InstanceView[]> {
    const leases = await this.leases();
    return Promise.all(
      this.deps.store.all().map(async (record) => this.view(record, await this.liveState(record), leases)),
    );
  }

  /**
   * One instance with its live state and guest facts from the cache: never an ssh per call, and a wait of at
   * most the cache's cold wait (3 s) when nothing current is known, e.g. right after a boot.
   */
  async info(name: string): Promise<InstanceInfo> {
    const record = this.record(name);
    const state = await this.liveState(record);
    const running = isRunning(state);
    if (!running) this.guestFacts.forget(name);
    const view = this.view(record, state, await this.leases());
    return { ...view, guest: running ? await this.guestFacts.read(name) : null };
  }

  /**
   * SSH coordinates of `name` once the VM is seen really running: a record that says Running while QEMU is gone
   * must not send anyone to a port anyone could now hold.
   */
  async sshTarget(name: string): Promise<SshTarget> {
    const record = this.record(name);
    checkOperation(name, await this.liveState(record, { exact: true }), 'exec');
    return this.target(record);
  }

  /** Where SSH reaches `record`'s guest, with its pinned host key (no check that it runs). */
  target(record: InstanceRecord): SshTarget {
    return {
      host: record.sshHost ?? '127.0.0.1',
      port: record.sshPort,
      user: this.deps.identity.user,
      keyPath: this.deps.identity.privateKeyPath,
      hostKey: pinnedHostKey(
        instanceDir(this.deps.identityDir, record.name),
        record.name,
        record.hostKey ?? null,
      ),
    };
  }

  /** Stops the guest facts refresh (daemon shutdown). */
  stop(): void {
    this.guestFacts.stop();
  }

  private view(
    record: InstanceRecord,
    state: InstanceState,
    leases: ReadonlyMap<string, string[]>,
  ): InstanceView {
    const nat = networkModeOf(record) === 'nat';
    return {
      record,
      state,
      ipv4: isRunning(state) && nat ? [...(leases.get(record.mac.toLowerCase()) ?? [])] : [],
    };
  }

  /** Read only when some instance is on skiff's network: a user-mode daemon never touches its files. */
  private async leases(): Promise<ReadonlyMap<string, string[]>> {
    const network = this.deps.network;
    const anyNat = this.deps.store.all().some((r) => networkModeOf(r) === 'nat');
    return network !== undefined && anyNat ? network.leases() : new Map();
  }

  /**
   * The recorded state, corrected by what the VM is really doing for states that claim a running VM. Readers
   * share a probe whose answer may be up to 2 s old; `exact` asks the driver now (before connecting).
   */
  private async liveState(record: InstanceRecord, options: { exact?: boolean } = {}): Promise<InstanceState> {
    if (!isRunning(record.state)) return record.state;
    const power = options.exact
      ? await this.deps.vm(record.name).power()
      : await this.power.read(bootOf(record), record.name);
    if (power === 'running') return record.state;
    return power === 'stopped' ? 'Stopped' : power === 'suspended' ? 'Suspended' : 'Unknown';
  }

  private record(name: string): InstanceRecord {
    const record = this.deps.store.get(name);
    if (!record)
      throw new SkiffError('not-found', `instance "${name}" does not exist`, { details: { instance: name } });
    return record;
  }
}

/** Names one boot of one instance: every boot gets a new SSH port, and a relaunched name a new creation time. */
function bootOf(record: InstanceRecord): string {
  return `${record.name}:${record.createdAtMs}:${record.sshPort}`;
}
