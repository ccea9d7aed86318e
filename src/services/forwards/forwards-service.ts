/**
 * @module Port forwards (`skiff forward`): rules kept in each instance's record, carried while the instance
 * runs. A guest on skiff's NAT bridge (`network.mode === 'nat'`) is reached at its address through a relay in
 * the daemon; a user-mode guest through the driver's HostForwarder (QEMU's own hostfwd), since nothing on the
 * host can reach its address. The instances service tells this one when a VM comes up or goes down
 * (InstanceLifecycle), and the daemon activates every running instance's forwards at start. Operations on one
 * instance's forwards run one at a time, lifecycle calls included, so a forward added during a stop never
 * outlives the VM.
 */
import { KeyedQueue } from '../../core/keyed-queue.js';
import { SkiffError } from '../../core/errors.js';
import {
  FIRST_UNPRIVILEGED_PORT,
  checkForwardHost,
  checkForwardRule,
  forwardHostLabel,
  forwardHostsOverlap,
  sameForwardHost,
  type ForwardHost,
  type ForwardRule,
} from '../../core/forward-rule.js';
import { capability, type InstanceLifecycle, type VmDriver } from '../instances/ports.js';
import type { InstanceState } from '../instances/state.js';
import type { InstanceRecord, InstanceStore } from '../instances/store.js';
import type { PortProbe, RelayFactory } from './ports.js';

export interface ForwardsDeps {
  store: InstanceStore;
  driver: VmDriver;
  relays: RelayFactory;
  probe: PortProbe;
  /** Each instance's live state (the instances service's list), for `active`. */
  liveStates: () => Promise<ReadonlyMap<string, InstanceState>>;
  log: { info(obj: object, msg: string): void; warn(obj: object, msg: string): void };
}

/** A rule of one instance, and whether it is carried now. */
export interface ForwardView extends ForwardRule {
  instance: string;
  active: boolean;
}

/** Who asked, for the rule on privileged ports: the uid of the API caller, null when it cannot be told. */
export type CallerUid = () => Promise<number | null>;

/** A rule being carried, and how to stop carrying it. */
interface Carried {
  rule: ForwardRule;
  /** Where a relay sends to (`ADDRESS:PORT`); null for the driver's forwards. */
  relayTarget: string | null;
  stop(): Promise<void>;
}

const RUNNING: readonly InstanceState[] = ['Running', 'Delayed Shutdown'];

export class ForwardsService implements InstanceLifecycle {
  private readonly carried = new Map<string, Carried[]>();
  private readonly queues = new KeyedQueue();

  constructor(private readonly deps: ForwardsDeps) {}

  /** Every rule of `name` (or of every instance), sorted by instance, then host port. */
  async list(name?: string): Promise<ForwardView[]> {
    const records = name === undefined ? this.deps.store.all() : [this.record(name)];
    const live = await this.deps.liveStates();
    return records.flatMap((record) => {
      const running = RUNNING.includes(live.get(record.name) ?? record.state);
      return sorted(record.forwards ?? []).map((rule) => ({
        instance: record.name,
        ...rule,
        active: running && this.isCarried(record.name, rule),
      }));
    });
  }

  /**
   * Records a rule and, while the instance runs, carries it at once. Nothing is recorded when the host port is
   * taken (by anything: another program, another forward), the rule repeats one, or a caller who is not root
   * asks for a port below 1024 (the daemon, root, would bind it for them).
   * @throws SkiffError invalid-argument, not-found, conflict, permission-denied, unsupported
   */
  async add(name: string, rule: ForwardRule, callerUid: CallerUid): Promise<ForwardView> {
    checkForwardRule(rule);
    return this.exclusive(name, async () => {
      const record = this.record(name);
      if (!record.launched || record.state === 'Deleted')
        throw new SkiffError(
          'conflict',
          `"${name}" is ${record.state === 'Deleted' ? 'deleted' : 'still launching'}: forwards need an instance`,
        );
      this.checkFree(record, rule);
      if (rule.hostPort < FIRST_UNPRIVILEGED_PORT) await checkPrivileged(rule, callerUid);
      if (!isNat(record))
        capability(this.deps.driver, 'forward', this.deps.driver.instance(name).hostForwarder);
      await this.deps.probe.check(rule);
      const running = RUNNING.includes(record.state);
      if (running) await this.carry(record, rule);
      try {
        await this.deps.store.update(name, (r) => (r.forwards = [...(r.forwards ?? []), { ...rule }]));
      } catch (error) {
        await this.drop(name, rule);
        throw error;
      }
      this.deps.log.info({ instance: name, forward: forwardHostLabel(rule), running }, 'forward added');
      return { instance: name, ...rule, active: running };
    });
  }

  /** Stops carrying the rule on `host` and forgets it. @throws SkiffError not-found */
  async remove(name: string, host: ForwardHost): Promise<ForwardRule> {
    checkForwardHost(host);
    return this.exclusive(name, async () => {
      const record = this.record(name);
      const rule = (record.forwards ?? []).find((r) => sameForwardHost(r, host));
      if (rule === undefined)
        throw new SkiffError('not-found', `"${name}" has no forward on ${forwardHostLabel(host)}`, {
          details: { instance: name },
        });
      await this.drop(name, rule);
      await this.deps.store.update(name, (r) => {
        r.forwards = (r.forwards ?? []).filter((f) => !sameForwardHost(f, host));
      });
      this.deps.log.info({ instance: name, forward: forwardHostLabel(host) }, 'forward removed');
      return rule;
    });
  }

  /** The instance runs: carry each of its rules (again: a new VM process has none). Never throws. */
  running(record: InstanceRecord): Promise<void> {
    return this.exclusive(record.name, async () => {
      const current = this.deps.store.get(record.name);
      if (!current || !RUNNING.includes(current.state)) return;
      for (const rule of current.forwards ?? []) {
        try {
          await this.carry(current, rule);
        } catch (error) {
          this.deps.log.warn(
            { instance: current.name, forward: forwardHostLabel(rule), err: error },
            'forward not active',
          );
        }
      }
    }).catch(() => undefined);
  }

  /** The VM went down: stop carrying its rules (they stay recorded). Never throws. */
  stopped(name: string): Promise<void> {
    return this.exclusive(name, async () => {
      for (const { rule } of [...(this.carried.get(name) ?? [])]) await this.drop(name, rule);
    }).catch(() => undefined);
  }

  /** At daemon start: carries the rules of every running instance. */
  async activateAll(): Promise<void> {
    for (const record of this.deps.store.all())
      if (RUNNING.includes(record.state) && (record.forwards ?? []).length > 0) await this.running(record);
  }

  /**
   * Daemon shutdown: relays stop with the daemon; user-mode forwards are left in their VMs, which outlive the
   * daemon (the next start adds them again, replacing them, so they never lapse).
   */
  async close(): Promise<void> {
    const all = [...this.carried.values()].flat();
    this.carried.clear();
    await Promise.all(all.filter((c) => c.relayTarget !== null).map((c) => c.stop().catch(() => undefined)));
  }

  /** @throws SkiffError conflict when an instance's rule takes the same host socket */
  private checkFree(record: InstanceRecord, rule: ForwardRule): void {
    for (const other of this.deps.store.all())
      for (const existing of other.forwards ?? [])
        if (forwardHostsOverlap(existing, rule)) {
          const label = forwardHostLabel(existing);
          throw new SkiffError(
            'conflict',
            other.name === record.name && sameForwardHost(existing, rule)
              ? `"${record.name}" already forwards ${label} (to guest port ${existing.guestPort})`
              : `${forwardHostLabel(rule)} is already in use on this host: ${label} is forwarded to "${other.name}"`,
            { details: { instance: other.name, hostPort: rule.hostPort } },
          );
        }
  }

  /**
   * Starts carrying `rule`, replacing a carrier of the same host side. A relay already carrying it to the same
   * place is kept (its connections go on); the driver's forwards are always added again, since a VM restarted
   * since has none. @throws what the carrier throws
   */
  private async carry(record: InstanceRecord, rule: ForwardRule): Promise<void> {
    const ipv4 = isNat(record) ? record.network?.ipv4 : undefined;
    const relayTarget = ipv4 === undefined ? null : `${ipv4}:${rule.guestPort}`;
    const current = (this.carried.get(record.name) ?? []).find((c) => sameForwardHost(c.rule, rule));
    if (relayTarget !== null && current?.relayTarget === relayTarget) return;
    await this.drop(record.name, rule);
    let stop: () => Promise<void>;
    if (isNat(record)) {
      if (!ipv4)
        throw new SkiffError('conflict', `"${record.name}" has no IPv4 address on skiff's network yet`);
      const relay = await this.deps.relays.open(rule, { host: ipv4, port: rule.guestPort });
      stop = () => relay.close();
    } else {
      const forwarder = capability(
        this.deps.driver,
        'forward',
        this.deps.driver.instance(record.name).hostForwarder,
      );
      await forwarder.add(rule);
      stop = () => forwarder.remove(rule);
    }
    this.carried.set(record.name, [...(this.carried.get(record.name) ?? []), { rule, relayTarget, stop }]);
  }

  /** Stops carrying the rule on `host`, when it is. Never throws (a failure is logged). */
  private async drop(name: string, host: ForwardHost): Promise<void> {
    const all = this.carried.get(name) ?? [];
    const found = all.find((c) => sameForwardHost(c.rule, host));
    if (found === undefined) return;
    const rest = all.filter((c) => c !== found);
    if (rest.length > 0) this.carried.set(name, rest);
    else this.carried.delete(name);
    await found
      .stop()
      .catch((error: unknown) =>
        this.deps.log.warn(
          { instance: name, forward: forwardHostLabel(host), err: error },
          'forward stop failed',
        ),
      );
  }

  private isCarried(name: string, rule: ForwardRule): boolean {
    return (this.carried.get(name) ?? []).some((c) => sameForwardHost(c.rule, rule));
  }

  private record(name: string): InstanceRecord {
    const record = this.deps.store.get(name);
    if (!record)
      throw new SkiffError('not-found', `instance "${name}" does not exist`, { details: { instance: name } });
    return record;
  }

  /** Runs `work` after every earlier operation on `name`'s forwards. */
  private exclusive<T>(name: string, work: () => Promise<T>): Promise<T> {
    return this.queues.run(name, work);
  }
}

/** Whether the instance's primary NIC is on skiff's NAT bridge (records from before networks: user mode). */
const isNat = (record: InstanceRecord) => record.network?.mode === 'nat';

/** @throws SkiffError permission-denied unless the caller is root */
async function checkPrivileged(rule: ForwardRule, callerUid: CallerUid): Promise<void> {
  const uid = await callerUid();
  if (uid === 0) return;
  throw new SkiffError(
    'permission-denied',
    `host port ${rule.hostPort} is below ${FIRST_UNPRIVILEGED_PORT}: only root may forward it ` +
      `(skiffd binds it for you; you are ${uid === null ? 'not known to be root: a remote client never is' : `uid ${uid}`})`,
    { details: { field: 'host_port', uid } },
  );
}

const sorted = (rules: ForwardRule[]) =>
  [...rules].sort((a, b) => a.hostPort - b.hostPort || a.protocol.localeCompare(b.protocol));
