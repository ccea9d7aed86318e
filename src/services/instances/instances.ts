/**
 * @module The instances service: Multipass's lifecycle verbs over a VM backend. Each instance has its own
 * operation queue, so a long operation on one never delays another, and read-only calls (list, info) take
 * no lock at all: they answer from the record, one shared power probe per instance and cached guest facts.
 */
import { SkiffError } from '../../core/errors.js';
import { KeyedQueue } from '../../core/keyed-queue.js';
import { removeGuestIdentity } from './guest-identity.js';
import type { GuestFactsCacheOptions } from './guest-facts-cache.js';
import { launchInstance, type LaunchContext, type LaunchDeps, type LaunchRequest } from './launch.js';
import { bootInstance } from './boot.js';
import { cloneInstance } from './clone.js';
import { InstanceReader, type InstanceInfo, type InstanceView } from './instance-reader.js';
import { InstanceSettings } from './instance-settings.js';
import { NamedTimers } from './named-timers.js';
import { networkModeOf } from './nics.js';
import {
  capability,
  type HostInterface,
  type InstanceLifecycle,
  type SshTarget,
  type VmInstance,
} from './ports.js';
import { checkInstanceName, instanceDir } from './spec.js';
import { checkOperation, type InstanceState } from './state.js';
import type { InstanceRecord } from './store.js';

export interface InstancesDeps extends LaunchDeps {
  log: { info(obj: object, msg: string): void; warn(obj: object, msg: string): void };
  /** Told when a VM comes up or goes down (port forwards follow it). */
  lifecycle?: InstanceLifecycle;
  /** Told when an instance is removed for good (its snapshots go with it). */
  purged?: (name: string) => Promise<void>;
  /** How long a graceful stop may take before it is an error (or, with force, a kill). */
  stopTimeoutMs?: number;
  /** Schedule of guest fact reads (defaults in guest-facts-cache.ts). */
  guestFacts?: Pick<
    GuestFactsCacheOptions,
    'refreshEveryMs' | 'keepWarmMs' | 'timeoutMs' | 'coldWaitMs' | 'staleAfterMs'
  >;
}

/** How long start and restart wait for the guest by default (Multipass's). */
const DEFAULT_BOOT_TIMEOUT_S = 300;

export interface BootOptions {
  /** Seconds to wait for the guest (SSH, and cloud-init after an interrupted first boot). */
  timeoutS?: number;
  progress?: (message: string) => void;
  warn?: (message: string) => void;
}

export type { InstanceInfo, InstanceView };

export class InstancesService {
  private readonly queues = new KeyedQueue();
  private readonly shutdownTimers: NamedTimers;
  private readonly reader: InstanceReader;
  /** `local.NAME.cpus|memory|disk|bridged`, for the settings service. */
  readonly settings: InstanceSettings;

  constructor(private readonly deps: InstancesDeps) {
    this.settings = new InstanceSettings({ ...deps, exclusive: (name, work) => this.exclusive(name, work) });
    this.shutdownTimers = new NamedTimers(deps.clock);
    this.reader = new InstanceReader({ ...deps, vm: (name) => this.vm(name) });
  }

  /** The driver's handle of `name` (the name checked again: it becomes paths). */
  private vm(name: string): VmInstance {
    return this.deps.driver.instance(checkInstanceName(name));
  }

  private identityDir(name: string): string {
    return instanceDir(this.deps.identityDir, name);
  }

  /** Runs `work` after every earlier operation on `name` finished. */
  private exclusive<T>(name: string, work: () => Promise<T>): Promise<T> {
    return this.queues.run(name, work);
  }

  private record(name: string): InstanceRecord {
    const record = this.deps.store.get(name);
    if (!record)
      throw new SkiffError('not-found', `instance "${name}" does not exist`, { details: { instance: name } });
    return record;
  }

  /** Launches; the lifecycle listener then hears that it runs (mounts given with `--mount` go in then). */
  async launch(request: LaunchRequest, ctx: LaunchContext): Promise<InstanceRecord> {
    const record = await launchInstance(request, this.deps, ctx);
    await this.deps.lifecycle?.running(record);
    return record;
  }

  /**
   * `clone`: copies the stopped `source` to `name` (default `SOURCE-cloneN`, the first free N). The source's
   * queue is held throughout, so it cannot start meanwhile. @returns the clone's record (Stopped)
   */
  clone(source: string, name?: string): Promise<InstanceRecord> {
    return this.exclusive(source, () =>
      cloneInstance(source, name, this.deps, (target, work) => this.exclusive(target, work)),
    );
  }

  /** The host interfaces `launch --network` accepts now (`skiff networks`), sorted by name. */
  networks(): Promise<HostInterface[]> {
    return this.deps.hostNetworks.list();
  }

  /** Every instance with its live state. Reads only: never waits behind an operation. */
  list(): Promise<InstanceView[]> {
    return this.reader.list();
  }

  /** One instance with its live state and cached guest facts (instance-reader.ts). */
  info(name: string): Promise<InstanceInfo> {
    return this.reader.info(name);
  }

  /** SSH coordinates once the VM is seen really running (instance-reader.ts). */
  sshTarget(name: string): Promise<SshTarget> {
    return this.reader.sshTarget(name);
  }

  start(name: string, options: BootOptions = {}): Promise<InstanceRecord> {
    return this.exclusive(name, async () => {
      const record = this.record(name);
      checkOperation(name, record.state, 'start');
      this.shutdownTimers.clear(name);
      const vm = this.vm(name);
      if ((await vm.power()) === 'running') {
        return this.nowRunning(name);
      }
      const resume = (await vm.suspender?.hasState()) ?? false;
      await this.deps.store.update(name, (r) => (r.state = 'Starting'));
      try {
        await this.boot(record, resume, options);
      } catch (error) {
        await this.deps.store.update(name, (r) => (r.state = resume ? 'Suspended' : 'Stopped'));
        throw error;
      }
      return this.nowRunning(name);
    });
  }

  /** `stop`: graceful ACPI shutdown; `force` kills; `delayMinutes` schedules it; `cancel` unschedules. */
  stop(
    name: string,
    options: { force?: boolean; delayMinutes?: number; cancel?: boolean } = {},
  ): Promise<InstanceRecord> {
    return this.exclusive(name, async () => {
      const record = this.record(name);
      if (options.cancel) {
        if (record.state !== 'Delayed Shutdown')
          throw new SkiffError('conflict', `"${name}" has no delayed shutdown to cancel`);
        this.shutdownTimers.clear(name);
        return this.nowRunning(name);
      }
      checkOperation(name, record.state, 'stop');
      if (record.state === 'Suspended' && !options.force) {
        throw new SkiffError(
          'conflict',
          `"${name}" is suspended; use "stop --force" to discard its saved state`,
        );
      }
      if (options.delayMinutes && options.delayMinutes > 0) {
        const at = this.deps.clock.now() + options.delayMinutes * 60_000;
        const updated = await this.deps.store.update(
          name,
          (r) => ((r.state = 'Delayed Shutdown'), (r.shutdownAtMs = at)),
        );
        this.armShutdownTimer(updated);
        return updated;
      }
      this.shutdownTimers.clear(name);
      return this.powerOff(record, options.force ?? false);
    });
  }

  restart(name: string, options: BootOptions = {}): Promise<InstanceRecord> {
    return this.exclusive(name, async () => {
      const record = this.record(name);
      checkOperation(name, record.state, 'restart');
      this.shutdownTimers.clear(name);
      await this.deps.store.update(name, (r) => (r.state = 'Restarting'));
      try {
        const vm = this.vm(name);
        await vm
          .stop({ timeoutMs: this.deps.stopTimeoutMs ?? 120_000 })
          .catch(() => vm.stop({ force: true }));
        await this.boot(record, false, options);
      } catch (error) {
        await this.deps.store.update(name, (r) => (r.state = 'Unknown'));
        throw error;
      }
      return this.nowRunning(name);
    });
  }

  suspend(name: string): Promise<InstanceRecord> {
    return this.exclusive(name, async () => {
      const record = this.record(name);
      checkOperation(name, record.state, 'suspend');
      if (record.state === 'Suspended') return record;
      const suspender = capability(this.deps.driver, 'suspend', this.vm(name).suspender);
      // QEMU cannot save a VM with shared folders (virtiofs and 9p block migration and savevm).
      if ((record.mounts ?? []).length > 0)
        throw new SkiffError(
          'conflict',
          `cannot suspend "${name}": it has mounts, which a saved state cannot hold (run "skiff umount ${name}" first, or stop it)`,
        );
      this.shutdownTimers.clear(name);
      await this.deps.store.update(name, (r) => (r.state = 'Suspending'));
      try {
        await suspender.suspend();
      } catch (error) {
        await this.deps.store.update(name, (r) => (r.state = 'Running'));
        throw error;
      }
      const suspended = await this.deps.store.update(
        name,
        (r) => ((r.state = 'Suspended'), (r.shutdownAtMs = null)),
      );
      await this.deps.lifecycle?.stopped(name);
      return suspended;
    });
  }

  /**
   * Finishes or undoes a suspend the daemon died during (the driver's Suspender.settle decides which), queued like
   * any operation, so commands given meanwhile wait for it rather than find a half-suspended VM.
   */
  settleInterruptedSuspend(name: string): Promise<InstanceRecord> {
    return this.exclusive(name, async () => {
      let state: InstanceState;
      try {
        const outcome = await capability(this.deps.driver, 'suspend', this.vm(name).suspender).settle();
        state = outcome === 'suspended' ? 'Suspended' : outcome === 'running' ? 'Running' : 'Stopped';
        this.deps.log.info({ instance: name, now: state }, 'settled a suspend the daemon died during');
      } catch (error) {
        state = 'Unknown';
        this.deps.log.warn({ instance: name, err: error }, 'could not settle an interrupted suspend');
      }
      const settled = await this.deps.store.update(name, (r) => ((r.state = state), (r.shutdownAtMs = null)));
      await (state === 'Running'
        ? this.deps.lifecycle?.running(settled)
        : this.deps.lifecycle?.stopped(name));
      return settled;
    });
  }

  /**
   * Runs `work` in `name`'s operation queue, for other services whose operations must not overlap a start or a
   * stop (snapshots). Inside it, use endVm and bootFromSnapshot, never the queued verbs (they would wait forever).
   */
  withInstance<T>(name: string, work: () => Promise<T>): Promise<T> {
    return this.exclusive(name, work);
  }

  /** Inside withInstance: ends the VM at once (its state is being replaced) and records it Stopped. */
  async endVm(name: string): Promise<InstanceRecord> {
    this.shutdownTimers.clear(name);
    await this.vm(name).stop({ force: true });
    const stopped = await this.deps.store.update(
      name,
      (r) => ((r.state = 'Stopped'), (r.shutdownAtMs = null)),
    );
    await this.deps.lifecycle?.stopped(name);
    return stopped;
  }

  /** Inside withInstance: starts a stopped instance from a snapshot with saved memory. */
  async bootFromSnapshot(
    name: string,
    snapshotId: string,
    options: BootOptions = {},
  ): Promise<InstanceRecord> {
    const record = this.record(name);
    await this.deps.store.update(name, (r) => (r.state = 'Starting'));
    try {
      await bootInstance({ ...this.deps, vm: this.vm(name), target: (r) => this.reader.target(r) }, record, {
        ...options,
        resume: false,
        loadSnapshot: snapshotId,
        timeoutS: options.timeoutS ?? DEFAULT_BOOT_TIMEOUT_S,
      });
    } catch (error) {
      await this.vm(name)
        .stop({ force: true })
        .catch(() => undefined);
      await this.deps.store.update(name, (r) => (r.state = 'Stopped'));
      throw error;
    }
    return this.nowRunning(name);
  }

  /** Resolves once every operation queued on `name` so far has ended (whatever its outcome). */
  async idle(name: string): Promise<void> {
    await this.queues.idle(name);
  }

  /** Soft delete (recoverable) or, with purge, removal of the instance and its disk. */
  delete(name: string, options: { purge?: boolean } = {}): Promise<void> {
    return this.exclusive(name, async () => {
      const record = this.record(name);
      if (record.state !== 'Deleted') {
        checkOperation(name, record.state, 'delete');
        this.shutdownTimers.clear(name);
        // Graceful first: a soft-deleted instance may be recovered, and its filesystem should be clean then.
        const vm = this.vm(name);
        await vm.stop({ timeoutMs: 30_000 }).catch(() => vm.stop({ force: true }));
        await this.deps.store.update(name, (r) => {
          r.stateBeforeDelete = r.state === 'Suspended' ? 'Suspended' : 'Stopped';
          r.state = 'Deleted';
          r.shutdownAtMs = null;
        });
        await this.deps.lifecycle?.stopped(name);
      }
      if (options.purge) await this.purgeOne(name);
    });
  }

  recover(name: string): Promise<InstanceRecord> {
    return this.exclusive(name, async () => {
      const record = this.record(name);
      checkOperation(name, record.state, 'recover');
      return this.deps.store.update(
        name,
        (r) => ((r.state = r.stateBeforeDelete ?? 'Stopped'), (r.stateBeforeDelete = null)),
      );
    });
  }

  /** Removes every soft-deleted instance for good. @returns their names. */
  async purge(): Promise<string[]> {
    const deleted = this.deps.store
      .all()
      .filter((r) => r.state === 'Deleted')
      .map((r) => r.name);
    for (const name of deleted) await this.exclusive(name, () => this.purgeOne(name));
    return deleted;
  }

  names(): string[] {
    return this.deps.store.all().map((r) => r.name);
  }

  /** Re-arms delayed shutdowns after a daemon restart (the reconciler calls it). */
  armShutdownTimer(record: InstanceRecord): void {
    if (record.shutdownAtMs === null) return;
    this.shutdownTimers.set(record.name, record.shutdownAtMs, () => {
      void this.exclusive(record.name, async () => {
        const current = this.deps.store.get(record.name);
        if (current?.state === 'Delayed Shutdown') await this.powerOff(current, false);
      }).catch((error: unknown) =>
        this.deps.log.warn({ instance: record.name, err: error }, 'delayed shutdown failed'),
      );
    });
  }

  stopTimers(): void {
    this.shutdownTimers.clearAll();
    this.reader.stop();
  }

  private async powerOff(record: InstanceRecord, force: boolean): Promise<InstanceRecord> {
    await this.deps.store.update(record.name, (r) => (r.state = 'Stopping'));
    try {
      await this.vm(record.name).stop({ force, timeoutMs: this.deps.stopTimeoutMs ?? 120_000 });
    } catch (error) {
      await this.deps.store.update(record.name, (r) => (r.state = 'Unknown'));
      throw new SkiffError('timeout', `"${record.name}" did not shut down in time; use "stop --force"`, {
        cause: error,
      });
    }
    const stopped = await this.deps.store.update(
      record.name,
      (r) => ((r.state = 'Stopped'), (r.shutdownAtMs = null)),
    );
    await this.deps.lifecycle?.stopped(record.name);
    return stopped;
  }

  /** Records that `name` runs (no delayed shutdown) and says so to the lifecycle listener. */
  private async nowRunning(name: string): Promise<InstanceRecord> {
    const running = await this.deps.store.update(
      name,
      (r) => ((r.state = 'Running'), (r.shutdownAtMs = null)),
    );
    await this.deps.lifecycle?.running(running);
    return running;
  }

  private async boot(record: InstanceRecord, resume: boolean, options: BootOptions): Promise<void> {
    await bootInstance(
      { ...this.deps, vm: this.vm(record.name), target: (r) => this.reader.target(r) },
      record,
      {
        ...options,
        resume,
        timeoutS: options.timeoutS ?? DEFAULT_BOOT_TIMEOUT_S,
      },
    );
  }

  private async purgeOne(name: string): Promise<void> {
    const record = this.deps.store.get(name);
    if (!record) return;
    await this.vm(name).destroy();
    await removeGuestIdentity(this.identityDir(name));
    if (networkModeOf(record) === 'nat') await this.deps.network?.release(name);
    if (record.image.id) await this.deps.images.release(record.image.id, name).catch(() => undefined);
    await this.deps.store.remove(name);
    await this.deps.purged?.(name);
  }
}
