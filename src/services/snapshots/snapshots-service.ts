/**
 * @module Instance snapshots (`skiff snapshot`, `restore`, `list --snapshots`, `info NAME.SNAPSHOT`, `delete
 * NAME.SNAPSHOT`, `local.NAME.SNAPSHOT.name|comment`). Multipass snapshots only stopped instances; skiff also
 * snapshots a running one, disk and memory together, and restoring that brings it back running where it was.
 * Every operation runs in the instance's operation queue. The snapshots are the driver's (in the instance's
 * storage); the records here say what they are (store.ts). Removed for good by `delete`, and with the instance
 * when it is purged.
 */
import { SkiffError } from '../../core/errors.js';
import { instanceDeleted, instanceMissing } from '../../core/messages.js';
import type { Clock } from '../../core/clock.js';
import { capability, type Snapshotter, type VmDriver, type VmInstance } from '../instances/ports.js';
import type { InstanceRecord } from '../instances/store.js';
import { checkComment, checkSnapshotName, defaultSnapshotName, noSuchSnapshot } from './names.js';
import type { SnapshotInstances } from './ports.js';
import { snapshotId, type InstanceSnapshots, type SnapshotRecord, type SnapshotStore } from './store.js';
import { snapshotView, type SnapshotView } from './views.js';

export interface SnapshotsDeps {
  store: SnapshotStore;
  instances: SnapshotInstances;
  driver: VmDriver;
  clock: Clock;
}

export interface TakenSnapshot {
  snapshot: SnapshotView;
  /** Whether memory was saved too (the instance was running). */
  memory: boolean;
}

export interface RestoredSnapshot {
  snapshot: SnapshotView;
  /** The snapshot of the state before, when one was asked for (not --destructive). */
  before: SnapshotView | null;
  /** The instance's state now: Running after a snapshot with memory, else Stopped. */
  state: string;
}

const RUNNING = new Set(['Running', 'Delayed Shutdown']);

export class SnapshotsService {
  constructor(private readonly deps: SnapshotsDeps) {}

  /** Takes a snapshot: disk only of a stopped instance, disk and memory of a running one. @throws SkiffError */
  async take(instance: string, options: { name?: string; comment?: string } = {}): Promise<TakenSnapshot> {
    if (options.name !== undefined) checkSnapshotName(options.name);
    const comment = checkComment(options.comment ?? '');
    return this.deps.instances.withInstance(instance, () =>
      this.takeLocked(this.operative(instance), options.name, comment),
    );
  }

  /**
   * Restores a snapshot: its disk, its memory when it has one (the instance then runs again), and the sizes and
   * mounts recorded with it. Without `destructive`, the current state is snapshotted first. A disk-only
   * snapshot needs a stopped instance (as in Multipass); one with memory replaces a running VM too.
   */
  restore(instance: string, name: string, options: { destructive: boolean }): Promise<RestoredSnapshot> {
    return this.deps.instances.withInstance(instance, async () => {
      const record = this.operative(instance);
      const target = this.find(instance, name);
      const vm = this.vm(instance);
      const running = await this.isRunning(record, vm);
      if (!target.memory && running)
        throw new SkiffError(
          'conflict',
          `skiff can only restore a disk-only snapshot of a stopped instance: "${instance}" is running (stop it first)`,
          { details: { instance, state: record.state } },
        );
      if (!running && !(await this.isStopped(record, vm))) throw this.notNow(instance, record, 'restore');
      const before = options.destructive
        ? null
        : (await this.takeLocked(record, undefined, `Before restoring ${name}`)).snapshot;
      const snapshots = capability(this.deps.driver, 'snapshots', vm.snapshotter);
      const previous = sizesOf(record);
      const id = snapshotId(target.index);
      if (target.memory) {
        if (running) await this.deps.instances.endVm(instance);
        await this.deps.instances.update(instance, (r) => Object.assign(r, sizesOf(target)));
        try {
          await this.deps.instances.bootFromSnapshot(instance, id);
        } catch (error) {
          await this.deps.instances.update(instance, (r) => Object.assign(r, previous));
          throw error;
        }
      } else {
        await snapshots.revert(id);
        await this.deps.instances.update(instance, (r) => Object.assign(r, sizesOf(target)));
      }
      // What the disk really is now (a driver may keep a grown disk grown).
      const disk = await vm.disk().catch(() => null);
      if (disk !== null) await this.deps.instances.update(instance, (r) => (r.diskBytes = disk.virtualBytes));
      await this.deps.store.update(instance, (s) => (s.head = target.index));
      return {
        snapshot: this.view(instance, name),
        before,
        state: target.memory ? 'Running' : 'Stopped',
      };
    });
  }

  /** Removes a snapshot for good; its children then descend from its parent. @throws SkiffError */
  delete(instance: string, name: string): Promise<void> {
    return this.deps.instances.withInstance(instance, async () => {
      const record = this.known(instance);
      if (record.state === 'Deleted')
        throw new SkiffError('conflict', `Cannot delete snapshots of deleted instances: ${instance}`);
      const target = this.find(instance, name);
      await this.snapshotter(instance).remove(snapshotId(target.index));
      await this.deps.store.update(instance, (s) => {
        for (const child of s.snapshots) if (child.parent === target.index) child.parent = target.parent;
        if (s.head === target.index) s.head = target.parent;
        s.snapshots = s.snapshots.filter((x) => x.index !== target.index);
      });
    });
  }

  /** Renames a snapshot (`local.NAME.SNAPSHOT.name`); its children keep it as parent. @throws SkiffError */
  async rename(instance: string, name: string, to: string): Promise<SnapshotView> {
    checkSnapshotName(to);
    return this.deps.instances.withInstance(instance, async () => {
      this.operative(instance);
      const target = this.find(instance, name);
      if (to !== name && this.deps.store.get(instance).snapshots.some((s) => s.name === to))
        throw alreadyExists(instance, to);
      await this.deps.store.update(instance, (s) => {
        const found = s.snapshots.find((x) => x.index === target.index);
        if (found) found.name = to;
      });
      return this.view(instance, to);
    });
  }

  /** Changes a snapshot's comment (`local.NAME.SNAPSHOT.comment`). @throws SkiffError */
  async setComment(instance: string, name: string, comment: string): Promise<SnapshotView> {
    checkComment(comment);
    return this.deps.instances.withInstance(instance, async () => {
      this.operative(instance);
      const target = this.find(instance, name);
      await this.deps.store.update(instance, (s) => {
        const found = s.snapshots.find((x) => x.index === target.index);
        if (found) found.comment = comment;
      });
      return this.view(instance, name);
    });
  }

  /** One snapshot. @throws SkiffError not-found for an unknown instance or snapshot */
  info(instance: string, name: string): SnapshotView {
    this.known(instance);
    return this.view(instance, name);
  }

  /** The snapshots of `instance`, or of every instance that is not deleted, by instance then index. */
  list(instance?: string): SnapshotView[] {
    if (instance !== undefined) this.known(instance);
    const names =
      instance !== undefined
        ? [instance]
        : this.deps.store.instances().filter((n) => {
            const state = this.deps.instances.get(n)?.state;
            return state !== undefined && state !== 'Deleted';
          });
    return names.flatMap((n) => {
      const all = this.deps.store.get(n);
      return all.snapshots.map((s) => snapshotView(n, all, s));
    });
  }

  /** How many snapshots the instance has (`info`'s Snapshots). */
  count(instance: string): number {
    return this.deps.store.get(instance).snapshots.length;
  }

  /** Drops the records of an instance removed for good (its snapshots went with its disk). */
  forget(instance: string): Promise<void> {
    return this.deps.store.forget(instance);
  }

  /** Drops the records of instances that are no longer there (a purge the daemon did not finish). */
  async reconcile(): Promise<string[]> {
    const gone = this.deps.store.instances().filter((n) => this.deps.instances.get(n) === undefined);
    for (const name of gone) await this.deps.store.forget(name);
    return gone;
  }

  private async takeLocked(
    record: InstanceRecord,
    requested: string | undefined,
    comment: string,
  ): Promise<TakenSnapshot> {
    const instance = record.name;
    const vm = this.vm(instance);
    const snapshots = capability(this.deps.driver, 'snapshots', vm.snapshotter);
    const running = await this.isRunning(record, vm);
    if (!running && !(await this.isStopped(record, vm))) throw this.notNow(instance, record, 'snapshot');
    const mounts = record.mounts ?? [];
    if (running && mounts.length > 0)
      throw new SkiffError(
        'conflict',
        `cannot snapshot "${instance}" while it runs: it has mounts ` +
          `(${mounts.map((m) => `${m.source} => ${m.target}`).join(', ')}), and its memory cannot be saved ` +
          `with them (QEMU cannot save shared folders; a classic mount's connection would not survive a ` +
          `restore); stop it to take a disk-only snapshot, or unmount first`,
        { details: { instance, mounts: mounts.map((m) => m.target) } },
      );
    const current = this.deps.store.get(instance);
    const name = requested ?? defaultSnapshotName(current.taken);
    if (current.snapshots.some((s) => s.name === name)) throw alreadyExists(instance, name);
    const index = current.taken + 1;
    const id = snapshotId(index);
    // An id in the disk but in no record is left from a crash between taking and recording: not the user's.
    if ((await snapshots.list()).some((s) => s.id === id)) await snapshots.remove(id);
    const { memory } = await snapshots.take(id);
    const taken: SnapshotRecord = {
      index,
      name,
      comment,
      parent: current.head,
      createdAtMs: this.deps.clock.now(),
      memory,
      ...sizesOf(record),
    };
    try {
      await this.deps.store.update(instance, (s) => {
        s.taken = index;
        s.head = index;
        s.snapshots.push(taken);
      });
    } catch (error) {
      await snapshots.remove(id).catch(() => undefined);
      throw error;
    }
    return { snapshot: this.view(instance, name), memory };
  }

  private vm(instance: string): VmInstance {
    return this.deps.driver.instance(instance);
  }

  private snapshotter(instance: string): Snapshotter {
    return capability(this.deps.driver, 'snapshots', this.vm(instance).snapshotter);
  }

  private async isRunning(record: InstanceRecord, vm: VmInstance): Promise<boolean> {
    return RUNNING.has(record.state) && (await vm.power()) === 'running';
  }

  private async isStopped(record: InstanceRecord, vm: VmInstance): Promise<boolean> {
    return (record.state === 'Stopped' || record.state === 'Unknown') && (await vm.power()) === 'stopped';
  }

  private notNow(instance: string, record: InstanceRecord, what: string): SkiffError {
    const hint =
      record.state === 'Suspended'
        ? ': start it (then it can be snapshotted running), or "stop --force" to discard its saved state'
        : '';
    return new SkiffError(
      'conflict',
      `cannot ${what} "${instance}": it is ${record.state.toLowerCase()}${hint}`,
      { details: { instance, state: record.state } },
    );
  }

  /** @throws SkiffError not-found in Multipass's words */
  private known(instance: string): InstanceRecord {
    const record = this.deps.instances.get(instance);
    if (!record) throw new SkiffError('not-found', instanceMissing(instance), { details: { instance } });
    return record;
  }

  /** An instance that is not deleted. @throws SkiffError in Multipass's words */
  private operative(instance: string): InstanceRecord {
    const record = this.known(instance);
    if (record.state === 'Deleted')
      throw new SkiffError('conflict', instanceDeleted(instance), { details: { instance } });
    return record;
  }

  private find(instance: string, name: string): SnapshotRecord {
    const found = this.deps.store.get(instance).snapshots.find((s) => s.name === name);
    if (!found) throw noSuchSnapshot(instance, name);
    return found;
  }

  private view(instance: string, name: string): SnapshotView {
    const all: InstanceSnapshots = this.deps.store.get(instance);
    return snapshotView(instance, all, this.find(instance, name));
  }
}

/** The parts of an instance a snapshot records and a restore puts back. */
function sizesOf(r: Pick<InstanceRecord, 'cpus' | 'memoryBytes' | 'diskBytes' | 'mounts'>) {
  return {
    cpus: r.cpus,
    memoryBytes: r.memoryBytes,
    diskBytes: r.diskBytes,
    mounts: structuredClone(r.mounts ?? []),
  };
}

function alreadyExists(instance: string, name: string): SkiffError {
  return new SkiffError('conflict', `Snapshot already exists: ${instance}.${name}`, {
    details: { instance, snapshot: name },
  });
}
