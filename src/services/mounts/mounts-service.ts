/**
 * @module Host directories mounted in guests (`skiff mount`, `umount`, `launch --mount`), kept in each
 * instance's record. On a running instance a mount is shared now (the driver's Mounter: virtiofs hot-plug)
 * and mounted in the guest over SSH; on a stopped one it is recorded and comes with the next boot (the boot's
 * StartSpec carries every share, see bootShares). After every boot, and at daemon start, the guest side is
 * mounted again (InstanceLifecycle). Who may mount what: rights.ts. Operations on one instance's mounts run one
 * at a time, lifecycle calls included.
 */
import { SkiffError } from '../../core/errors.js';
import { KeyedQueue } from '../../core/keyed-queue.js';
import { mountTarget } from '../../core/mount-spec.js';
import {
  capability,
  type GuestShell,
  type InstanceLifecycle,
  type MountShare,
  type MountTransport,
  type SshTarget,
  type VmDriver,
  unsupported,
} from '../instances/ports.js';
import type { InstanceRecord, InstanceStore, MountEntry } from '../instances/store.js';
import { ClassicMounts } from './classic-mounts.js';
import { mountEntry, normalTarget, shareOf, type MountRequest } from './mount-entry.js';
import { ShareWatch } from './share-watch.js';
import { mountCommand, umountCommand } from './guest-commands.js';
import type { Caller, SftpFeed, SourceAccess } from './ports.js';
import { checkMountSource } from './rights.js';

export interface MountsDeps {
  store: InstanceStore;
  driver: VmDriver;
  shell: GuestShell;
  /** Where SSH reaches a running instance (the instances service's, which checks it really runs). */
  sshTarget: (name: string) => Promise<SshTarget>;
  access: SourceAccess;
  /** The host end of classic (SSHFS) mounts. */
  feed: SftpFeed;
  /** Trees only root may share (rights.ts SYSTEM_TREES plus the daemon's data directory). */
  protectedTrees: readonly string[];
  /** `local.privileged-mounts`. */
  enabled: () => boolean;
  log: { info(obj: object, msg: string): void; warn(obj: object, msg: string): void };
}

export interface MountView extends MountEntry {
  instance: string;
  /** Mounted in the guest now (the instance runs). */
  active: boolean;
  /** Why a mount added to a running instance waits for its next start (the driver's words). */
  pending?: string;
}

/** A handle name for checks that need no instance (the driver makes handles without touching anything). */
const PROBE_INSTANCE = 'mount-check';

/** Multipass's words when `local.privileged-mounts` is false. */
export const MOUNTS_DISABLED =
  'Mounts are disabled on this installation of skiff.\n\n' +
  'See "skiff set local.privileged-mounts=true" for how to enable them.';

const RUNNING = new Set(['Running', 'Delayed Shutdown']);
const SSH_TIMEOUT_MS = 60_000;

export class MountsService implements InstanceLifecycle {
  private readonly queues = new KeyedQueue();
  private readonly classic: ClassicMounts;
  private readonly watch: ShareWatch;

  constructor(private readonly deps: MountsDeps) {
    this.classic = new ClassicMounts(deps);
    this.watch = new ShareWatch(deps);
  }

  /**
   * Checks a request completely (setting, type, target, the caller's rights on the source) without an instance.
   * @returns the entry to record @throws SkiffError
   */
  async prepare(request: MountRequest, caller: Caller | null): Promise<MountEntry> {
    if (!this.deps.enabled()) throw new SkiffError('permission-denied', MOUNTS_DISABLED);
    const target = mountTarget(request.source, request.target);
    const source = await checkMountSource(this.deps.access, request.source, caller, this.deps.protectedTrees);
    // checkMountSource refuses a null caller: from here on there is one.
    const entry = mountEntry(request, source, target, { uid: caller!.uid, gid: caller!.gid });
    if (entry.type === 'native' && !this.deps.driver.features.mounts)
      throw unsupported(this.deps.driver, 'mounts');
    return entry;
  }

  /** Every mount of `name`. @throws SkiffError not-found */
  list(name: string): MountView[] {
    const record = this.record(name);
    return (record.mounts ?? []).map((m) => {
      const dead = RUNNING.has(record.state) && this.watch.isDead(name, m.target);
      return {
        ...m,
        instance: name,
        active: RUNNING.has(record.state) && !dead,
        ...(dead && { pending: `its virtiofsd died: restart '${name}' to mount it again` }),
      };
    });
  }

  /**
   * Records a mount and, while the instance runs, shares and mounts it at once. Nothing is recorded when any
   * step fails. @throws SkiffError invalid-argument, not-found, conflict, permission-denied, unsupported
   */
  async add(name: string, request: MountRequest, caller: Caller | null): Promise<MountView> {
    this.record(name);
    const entry = await this.prepare(request, caller);
    return this.exclusive(name, async () => {
      const record = this.record(name);
      if (!record.launched || record.state === 'Deleted')
        throw new SkiffError('conflict', `instance '${name}' is not available`, {
          details: { instance: name },
        });
      if ((record.mounts ?? []).some((m) => m.target === entry.target))
        throw new SkiffError('conflict', `"${entry.target}" is already mounted in '${name}'`, {
          details: { field: 'target_path', instance: name },
        });
      const running = RUNNING.has(record.state);
      if (entry.type === 'classic') return this.addClassic(record, entry, running);
      const mounter = capability(this.deps.driver, 'mounts', this.deps.driver.instance(name).mounter);
      // What the driver cannot carry at all (an id map it cannot honour) is refused now, not at a boot.
      await mounter.transports([shareOf(entry)]);
      let pending: string | undefined;
      if (running) {
        // The last look before use: a component swapped for a symlink since the check is refused.
        await this.checkUnchanged(entry);
        let transport: MountTransport | undefined;
        try {
          transport = await mounter.attach(shareOf(entry));
        } catch (error) {
          // Only a boot can add it (9p, no spare port): kept for the next start, and said so.
          if (!(error instanceof SkiffError && error.code === 'unsupported')) throw error;
          pending = error.message;
        }
        entry.transport = transport;
        if (transport !== undefined)
          try {
            await this.guest(name, mountCommand(transport, entry.tag, entry.target), 'mount');
          } catch (error) {
            await mounter.detach(entry.tag).catch(() => undefined);
            throw error;
          }
      }
      try {
        await this.deps.store.update(name, (r) => (r.mounts = [...(r.mounts ?? []), entry]));
      } catch (error) {
        if (entry.transport !== undefined) await this.unmount(name, entry).catch(() => undefined);
        throw error;
      }
      const active = running && pending === undefined;
      this.deps.log.info(
        { instance: name, source: entry.source, target: entry.target, active },
        'mount added',
      );
      return { ...entry, instance: name, active, ...(pending !== undefined && { pending }) };
    });
  }

  /**
   * Unmounts and forgets the mount at `target` (as typed), or every mount of `name` when none is given.
   * @returns the targets removed @throws SkiffError not-found (Multipass's message)
   */
  async remove(name: string, target?: string): Promise<string[]> {
    return this.exclusive(name, async () => {
      const record = this.record(name);
      const mounts = record.mounts ?? [];
      let chosen = mounts;
      if (target !== undefined) {
        const wanted = normalTarget(target);
        chosen = mounts.filter((m) => m.target === wanted);
        if (chosen.length === 0)
          throw new SkiffError('not-found', `path "${wanted}" is not mounted in '${name}'`, {
            details: { field: 'target_path', instance: name },
          });
      }
      if (RUNNING.has(record.state)) for (const entry of chosen) await this.unmount(name, entry);
      const gone = new Set(chosen.map((m) => m.target));
      await this.deps.store.update(name, (r) => {
        r.mounts = (r.mounts ?? []).filter((m) => !gone.has(m.target));
        if (r.mounts.length === 0) delete r.mounts;
      });
      this.deps.log.info({ instance: name, targets: [...gone] }, 'mounts removed');
      return [...gone];
    });
  }

  /**
   * The shares a boot of `record` carries (native mounts whose source still resolves to itself), each
   * transport recorded as the driver says it will be. Never throws: a share that cannot go is logged and left
   * out (the instance still boots).
   */
  async bootShares(record: InstanceRecord): Promise<MountShare[]> {
    const mounter = this.deps.driver.instance(record.name).mounter;
    const entries: MountEntry[] = [];
    for (const entry of record.mounts ?? []) {
      if (entry.type !== 'native' || mounter === undefined) continue;
      try {
        await this.checkUnchanged(entry);
        entries.push(entry);
      } catch (error) {
        this.deps.log.warn(
          { instance: record.name, source: entry.source, err: error },
          'mount left out of boot',
        );
      }
    }
    if (mounter === undefined) return [];
    // One at a time: a share the driver refuses is left out, and the boot goes on without it.
    const shares: MountShare[] = [];
    const byTag = new Map<string, MountTransport>();
    for (const entry of entries) {
      try {
        const [transport] = await mounter.transports([shareOf(entry)]);
        if (transport !== undefined) byTag.set(entry.tag, transport);
        shares.push(shareOf(entry));
      } catch (error) {
        this.deps.log.warn(
          { instance: record.name, target: entry.target, err: error },
          'mount left out of boot',
        );
      }
    }
    const note = (r: InstanceRecord) => {
      for (const m of r.mounts ?? []) if (byTag.has(m.tag)) m.transport = byTag.get(m.tag);
    };
    // Both: a launch writes its own copy of the record after the boot.
    note(record);
    await this.deps.store.update(record.name, note);
    return shares;
  }

  /**
   * Whether the driver can carry these shares at all (`launch --mount`, before anything is made).
   * @throws SkiffError unsupported (no mounts; an id map it cannot honour)
   */
  async checkShares(entries: MountEntry[]): Promise<void> {
    const native = entries.filter((e) => e.type === 'native');
    if (native.length === 0) return;
    const mounter = capability(this.deps.driver, 'mounts', this.deps.driver.instance(PROBE_INSTANCE).mounter);
    await mounter.transports(native.map(shareOf));
  }

  /** The instance runs: mount each of its shares in the guest (again). Never throws. */
  running(record: InstanceRecord): Promise<void> {
    this.watch.booted(record.name);
    return this.exclusive(record.name, async () => {
      const current = this.deps.store.get(record.name);
      if (!current || !RUNNING.has(current.state)) return;
      for (const entry of current.mounts ?? []) {
        try {
          if (entry.type === 'classic') {
            if (!(await this.classic.healthy(current.name, entry)))
              await this.classic.mount(current.name, entry);
            continue;
          }
          if (entry.transport === undefined || entry.transport === 'sshfs') continue;
          await this.guest(current.name, mountCommand(entry.transport, entry.tag, entry.target), 'mount');
        } catch (error) {
          this.deps.log.warn(
            { instance: current.name, target: entry.target, err: error },
            'mount not active',
          );
        }
      }
    }).catch(() => undefined);
  }

  /** The VM went down: its shares went with it (they stay recorded). */
  async stopped(): Promise<void> {}

  /** Supervision of native shares (share-watch.ts): one pass. @returns the `instance:target` of dead shares */
  findDeadShares(): Promise<string[]> {
    return this.watch.check();
  }

  /** Runs findDeadShares every `intervalMs`. @returns how to stop it */
  superviseShares(intervalMs: number): () => void {
    return this.watch.start(intervalMs);
  }

  /** At daemon start: the guests of running instances get their mounts back where they lost them. */
  async activateAll(): Promise<void> {
    for (const record of this.deps.store.all())
      if (RUNNING.has(record.state) && (record.mounts ?? []).length > 0) await this.running(record);
  }

  /** A classic mount: mounted now on a running instance (nothing recorded when that fails), else at next boot. */
  private async addClassic(record: InstanceRecord, entry: MountEntry, running: boolean): Promise<MountView> {
    const name = record.name;
    if (running) {
      await this.classic.mount(name, entry);
      entry.transport = 'sshfs';
    }
    try {
      await this.deps.store.update(name, (r) => (r.mounts = [...(r.mounts ?? []), entry]));
    } catch (error) {
      if (running) await this.unmount(name, entry).catch(() => undefined);
      throw error;
    }
    this.deps.log.info(
      { instance: name, source: entry.source, target: entry.target, type: 'classic' },
      'mount added',
    );
    return { ...entry, instance: name, active: running };
  }

  /** @throws SkiffError permission-denied when the source no longer resolves to itself */
  private async checkUnchanged(entry: MountEntry): Promise<void> {
    const now = await this.deps.access.resolve(entry.source);
    if (now !== entry.source)
      throw new SkiffError(
        'permission-denied',
        `Source path "${entry.source}" now resolves to "${now}": a symbolic link in it is refused`,
        { details: { field: 'source_path' } },
      );
  }

  /** Guest umount (a classic mount's feed ends with it), then the share withdrawn. @throws what they throw */
  private async unmount(name: string, entry: MountEntry): Promise<void> {
    await this.guest(name, umountCommand(entry.target), 'umount');
    if (entry.type === 'native') await this.deps.driver.instance(name).mounter?.detach(entry.tag);
  }

  /** Runs `command` in the guest. @throws SkiffError naming what failed, with the guest's words */
  private async guest(name: string, command: string, what: string): Promise<void> {
    const result = await this.deps.shell.run(await this.deps.sshTarget(name), command, {
      timeoutMs: SSH_TIMEOUT_MS,
    });
    if (result.code !== 0)
      throw new SkiffError(
        'internal',
        `${what} in '${name}' failed (exit ${result.code}): ${result.stderr.trim() || result.stdout.trim()}`,
        { details: { instance: name } },
      );
  }

  private record(name: string): InstanceRecord {
    const record = this.deps.store.get(name);
    if (!record)
      throw new SkiffError('not-found', `instance '${name}' does not exist`, { details: { instance: name } });
    return record;
  }

  private exclusive<T>(name: string, work: () => Promise<T>): Promise<T> {
    return this.queues.run(name, work);
  }
}

export type { MountRequest, MountTransport };
