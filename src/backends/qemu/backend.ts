/**
 * @module The QEMU engine behind QemuDriver. Everything about a VM is rebuilt from its directory (pidfile, QMP socket, disk
 * snapshots), so a restarted daemon adopts running VMs by constructing a new QemuBackend: no in-memory state.
 *
 * Suspend saves RAM and device state as an internal qcow2 snapshot (HMP `savevm`, what Multipass does), so
 * disk and memory are captured together and cannot drift apart; start with resumeFromSuspend passes
 * `-loadvm`, then deletes the snapshot (`delvm`) so a later resume can never roll the disk back.
 */
import { rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { MissingDependencyError, SkiffError } from '../../core/errors.js';
import { assertSelfContained } from '../../core/image-safety.js';
import { VM_FILES } from './machine.js';
import type { Accelerator, VmLaunchSpec, VmPower } from './machine.js';
import { detectAccelerator, qemuKvmProbe } from './accel.js';
import {
  QEMU_BINARY,
  SUSPEND_SNAPSHOT,
  inheritedFds,
  qemuArgs,
  validateLaunchSpec,
  type BaseImage,
} from './args.js';
import { enslaveTap } from './host-nics.js';
import { createOverlay, deleteSnapshot, growImage, imageInfo, inspectImage } from './img.js';
import { findExecutable, livePidFor, waitForExit } from './process.js';
import { withQmp } from './qmp-client.js';
import type { QmpClient } from './qmp-client.js';
import { spawnQemu } from './spawn.js';
import { settleOverQmp } from './suspend-settle.js';

export interface QemuBackendOptions {
  /** Binary name (looked up on PATH) or path. Default qemu-system-x86_64. */
  qemuBinary?: string;
  /** KVM device to probe. Default /dev/kvm. */
  kvmPath?: string;
  /** Spawn to QMP answering, including a -loadvm restore. Default 120 s. */
  startTimeoutMs?: number;
  /** Budget for one QMP connection + command in power()/reset(). Default 3 s. */
  qmpTimeoutMs?: number;
  /** savevm budget (it writes all guest RAM into the disk image). Default 300 s. */
  saveTimeoutMs?: number;
}

const files = (dir: string) => ({
  disk: join(dir, VM_FILES.disk),
  qmp: join(dir, VM_FILES.qmp),
  pid: join(dir, VM_FILES.pid),
  log: join(dir, VM_FILES.log),
});

/** QMP run states that mean the guest is stopped by the host (everything but running and shutdown). */
const toPower = (status: string): VmPower =>
  status === 'running' ? 'running' : status === 'shutdown' ? 'stopped' : 'paused';

/** Runs each VM as a detached qemu-system-x86_64 process, addressed by its directory (the driver's engine). */
export class QemuBackend {
  private readonly options: Required<Omit<QemuBackendOptions, 'kvmPath'>> & { kvmPath: string | undefined };
  private binary: Promise<string> | null = null;
  private accel: Promise<{ accel: Accelerator; reason: string }> | null = null;
  /** Directories with a start() in flight: QEMU writes its pidfile only after spawning. */
  private readonly starting = new Set<string>();

  constructor(options: QemuBackendOptions = {}) {
    this.options = {
      qemuBinary: options.qemuBinary ?? QEMU_BINARY,
      kvmPath: options.kvmPath,
      startTimeoutMs: options.startTimeoutMs ?? 120_000,
      qmpTimeoutMs: options.qmpTimeoutMs ?? 3_000,
      saveTimeoutMs: options.saveTimeoutMs ?? 300_000,
    };
  }

  /** KVM when /dev/kvm opens and a QEMU probe runs a KVM vCPU, else TCG, with a one-line reason (cached). */
  detectAccelerator(): Promise<{ accel: Accelerator; reason: string }> {
    this.accel ??= detectAccelerator({
      kvmPath: this.options.kvmPath,
      probe: qemuKvmProbe(this.options.qemuBinary),
    });
    return this.accel;
  }

  /** Creates dir/disk.qcow2 on the base image. @throws SkiffError invalid-argument when too small */
  async createDisk(options: { dir: string; baseImage: string; diskBytes: number }): Promise<void> {
    await createOverlay({
      path: files(options.dir).disk,
      baseImage: options.baseImage,
      sizeBytes: options.diskBytes,
    });
  }

  /** Grows the disk of a stopped VM. @throws SkiffError conflict while running or suspended, invalid-argument to shrink */
  async resizeDisk(options: { dir: string; diskBytes: number }): Promise<void> {
    if ((await this.pid(options.dir)) !== null) {
      throw new SkiffError('conflict', `cannot resize the disk in ${options.dir} while the VM is running`);
    }
    // The saved RAM state describes the old disk: resuming over a resized one would confuse the guest.
    if (await this.hasSuspendState(options.dir)) {
      throw new SkiffError('conflict', `cannot resize the disk in ${options.dir} while the VM is suspended`);
    }
    await growImage({ path: files(options.dir).disk, sizeBytes: options.diskBytes });
  }

  /** Sizes and backing file of the instance disk. @throws SkiffError internal */
  async diskInfo(
    dir: string,
  ): Promise<{ virtualBytes: number; actualBytes: number; backingFile: string | null }> {
    const info = await imageInfo(files(dir).disk);
    return { virtualBytes: info.virtualBytes, actualBytes: info.actualBytes, backingFile: info.backingFile };
  }

  /**
   * Spawns QEMU detached and resolves once QMP answers (and, when resuming, once the saved state is loaded and
   * its snapshot deleted). Starting without resumeFromSuspend discards a saved state first: booting over it
   * and resuming later would roll the disk back. @throws SkiffError conflict, internal, timeout
   */
  async start(spec: VmLaunchSpec, signal?: AbortSignal): Promise<{ pid: number }> {
    validateLaunchSpec(spec);
    const binary = await this.resolveBinary();
    if (this.starting.has(spec.dir)) {
      throw new SkiffError('conflict', `a VM is already starting in ${spec.dir}`);
    }
    this.starting.add(spec.dir);
    try {
      const args = qemuArgs(spec, { base: await baseImageOf(files(spec.dir).disk) });
      return await this.startGuarded(spec, args, binary, signal);
    } finally {
      this.starting.delete(spec.dir);
    }
  }

  /** running / paused from QMP when QEMU is alive; suspended / stopped otherwise. Never throws. */
  async power(dir: string): Promise<VmPower> {
    const pid = await this.pid(dir);
    if (pid === null) return (await this.hasSuspendState(dir)) ? 'suspended' : 'stopped';
    try {
      const status = await this.qmp(dir, (c) => this.status(c));
      return toPower(status);
    } catch {
      // Alive but the monitor did not answer in time: it is busy (one client at a time, or a long savevm).
      return 'running';
    }
  }

  /** Pid of the live QEMU started with this directory's pidfile, or null. Never throws. */
  pid(dir: string): Promise<number | null> {
    return livePidFor(files(dir).pid);
  }

  /** ACPI power button, then waits for QEMU to exit. @throws SkiffError timeout after `timeoutMs` */
  async powerdown(dir: string, timeoutMs: number): Promise<void> {
    const pid = await this.pid(dir);
    if (pid === null) return;
    const deadline = Date.now() + timeoutMs;
    await this.qmp(dir, async (c) => {
      // A paused guest cannot react to the power button.
      if ((await this.status(c)) === 'paused') await c.execute('cont');
      await c.execute('system_powerdown');
    }).catch(async (error: unknown) => {
      if ((await this.pid(dir)) !== null) throw error; // gone meanwhile is what we wanted
    });
    if (!(await waitForExit(pid, Math.max(0, deadline - Date.now())))) {
      throw new SkiffError(
        'timeout',
        `the guest in ${dir} did not power off within ${Math.round(timeoutMs / 1000)} s`,
      );
    }
  }

  /** Ends QEMU now: QMP quit, then SIGKILL if it lingers. @throws SkiffError internal if it survives both */
  async kill(dir: string): Promise<void> {
    const pid = await this.pid(dir);
    if (pid === null) return;
    const asked = await this.qmp(dir, (c) => quit(c)).then(
      () => true,
      () => false,
    );
    // An unreachable monitor will not quit for us: go straight to SIGKILL.
    if (!asked || !(await waitForExit(pid, 3_000))) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // already gone
      }
      if (!(await waitForExit(pid, 10_000))) {
        throw new SkiffError('internal', `QEMU (pid ${pid}) for ${dir} survived SIGKILL`);
      }
    }
    const f = files(dir);
    await Promise.all([rm(f.pid, { force: true }), rm(f.qmp, { force: true })]);
  }

  /**
   * Pauses the guest, saves RAM + devices into the disk (`savevm`), and ends QEMU. If saving fails the guest
   * is resumed and the error thrown. @throws SkiffError conflict when not running, internal, timeout
   */
  async suspend(dir: string): Promise<void> {
    const pid = await this.pid(dir);
    if (pid === null) throw new SkiffError('conflict', `no running VM in ${dir} to suspend`);
    await this.qmp(
      dir,
      async (c) => {
        const wasRunning = (await this.status(c)) === 'running';
        await c.execute('stop');
        try {
          await c.human(`savevm ${SUSPEND_SNAPSHOT}`, { timeoutMs: this.options.saveTimeoutMs });
        } catch (error) {
          if (wasRunning) await c.execute('cont').catch(() => undefined);
          throw error;
        }
        await quit(c);
      },
      this.options.saveTimeoutMs,
    );
    if (!(await waitForExit(pid, 30_000))) await this.kill(dir);
  }

  /**
   * Finishes or undoes a suspend the daemon died during (see suspend-settle.ts for the rule).
   * @throws SkiffError timeout when QEMU stays busy beyond the save budget
   */
  async settleSuspend(dir: string): Promise<'suspended' | 'running' | 'stopped'> {
    const pid = await this.pid(dir);
    if (pid === null) return (await this.hasSuspendState(dir)) ? 'suspended' : 'stopped';
    // QEMU writes its pidfile as it starts: a snapshot older than that was not made by this process.
    const startedMs = (await stat(files(dir).pid)).mtimeMs;
    const action = await this.qmp(
      dir,
      async (c) => {
        const decided = await settleOverQmp(c, {
          processStartSec: Math.floor(startedMs / 1000),
          timeoutMs: this.options.saveTimeoutMs,
        });
        if (decided === 'finish') await quit(c);
        return decided;
      },
      this.options.saveTimeoutMs,
    );
    if (action !== 'finish') return 'running';
    if (!(await waitForExit(pid, 30_000))) await this.kill(dir);
    return 'suspended';
  }

  /** Drops the suspend snapshot: with `delvm` while QEMU runs, with qemu-img otherwise. */
  async discardSuspendState(dir: string): Promise<void> {
    if ((await this.pid(dir)) !== null)
      await this.qmp(
        dir,
        (c) => c.human(`delvm ${SUSPEND_SNAPSHOT}`, { timeoutMs: this.options.saveTimeoutMs }),
        this.options.saveTimeoutMs,
      );
    else await deleteSnapshot(files(dir).disk, SUSPEND_SNAPSHOT);
  }

  /** Whether the disk holds a suspend snapshot with RAM state. Never throws (false without a disk). */
  async hasSuspendState(dir: string): Promise<boolean> {
    try {
      const info = await imageInfo(files(dir).disk);
      return info.snapshots.some((s) => s.name === SUSPEND_SNAPSHOT && s.vmStateBytes > 0);
    } catch {
      return false;
    }
  }

  /** Hard reset (`system_reset`). @throws SkiffError conflict when not running */
  async reset(dir: string): Promise<void> {
    if ((await this.pid(dir)) === null) throw new SkiffError('conflict', `no running VM in ${dir} to reset`);
    await this.qmp(dir, (c) => c.execute('system_reset'));
  }

  /** Path of the QEMU binary, checked once. @throws MissingDependencyError naming the apt package */
  resolveBinary(): Promise<string> {
    this.binary ??= findExecutable(this.options.qemuBinary).then((path) => {
      if (path !== null) return path;
      this.binary = null;
      throw new MissingDependencyError(
        `${this.options.qemuBinary} not found on PATH: install the qemu-system-x86 package ` +
          `(apt-get install qemu-system-x86)`,
        { program: this.options.qemuBinary, package: 'qemu-system-x86' },
      );
    });
    return this.binary;
  }

  private async startGuarded(
    spec: VmLaunchSpec,
    args: string[],
    binary: string,
    signal: AbortSignal | undefined,
  ): Promise<{ pid: number }> {
    const f = files(spec.dir);
    const running = await this.pid(spec.dir);
    if (running !== null)
      throw new SkiffError('conflict', `a VM is already running in ${spec.dir} (pid ${running})`);
    const saved = await this.hasSuspendState(spec.dir);
    if (spec.resumeFromSuspend && !saved) {
      throw new SkiffError('conflict', `no suspended state to resume in ${spec.dir}`);
    }
    if (!spec.resumeFromSuspend && saved) await deleteSnapshot(f.disk, SUSPEND_SNAPSHOT);
    await Promise.all([rm(f.pid, { force: true }), rm(f.qmp, { force: true })]);
    const { pid, qmp } = await spawnQemu({
      binary,
      args,
      cwd: spec.dir,
      logPath: f.log,
      qmpPath: f.qmp,
      timeoutMs: this.options.startTimeoutMs,
      signal,
      inheritFds: inheritedFds(spec.nics),
    });
    try {
      const taps = spec.nics.flatMap((nic) => (nic.kind === 'tap' ? [nic] : []));
      try {
        for (const tap of taps) await enslaveTap(tap.ifname, tap.bridge);
      } catch (error) {
        // QEMU waits paused (-S) for its taps: one that cannot join its bridge ends the start.
        await quit(qmp);
        throw error;
      }
      if (spec.resumeFromSuspend) {
        await this.ensureRunning(qmp);
        await qmp.human(`delvm ${SUSPEND_SNAPSHOT}`, { timeoutMs: this.options.saveTimeoutMs });
      } else if (spec.loadSnapshot !== undefined) await this.ensureRunning(qmp);
      else if (taps.length > 0) await qmp.execute('cont');
    } finally {
      qmp.close();
    }
    return { pid };
  }

  private qmp<T>(dir: string, fn: (client: QmpClient) => Promise<T>, timeoutMs?: number): Promise<T> {
    return withQmp(files(dir).qmp, fn, { timeoutMs: timeoutMs ?? this.options.qmpTimeoutMs });
  }

  private async status(client: QmpClient): Promise<string> {
    const reply = await client.execute<{ status?: string }>('query-status', undefined, {
      timeoutMs: this.options.qmpTimeoutMs,
    });
    return reply.status ?? 'unknown';
  }

  /** Waits (bounded) for the guest to run after -loadvm, then nudges it if QEMU left it paused. */
  private async ensureRunning(client: QmpClient): Promise<void> {
    const status = await this.status(client);
    if (status !== 'running') await client.execute('cont');
  }
}

/** QMP quit: QEMU may close the socket before or after replying, and both mean success. */
async function quit(client: QmpClient): Promise<void> {
  await client.execute('quit', undefined, { timeoutMs: 5_000 }).catch(() => undefined);
  await Promise.race([client.closed, new Promise((resolve) => setTimeout(resolve, 5_000).unref())]);
}

/**
 * The base under an instance disk, checked again before every start: images cached before skiff inspected
 * them, or a vault file swapped since, must not reach QEMU naming other files. The format is the one the
 * overlay recorded at creation (never probed). @throws SkiffError invalid-argument naming the field
 */
export async function baseImageOf(disk: string): Promise<BaseImage | null> {
  // No disk: QEMU says so itself, in its own words.
  if ((await stat(disk).catch(() => null)) === null) return null;
  const overlay = await imageInfo(disk);
  if (overlay.backingFile === null) return null;
  const facts = await inspectImage(overlay.backingFile);
  const format = overlay.backingFormat ?? facts.format;
  assertSelfContained({ ...facts, format }, `base image ${overlay.backingFile} of ${disk}`);
  return { path: overlay.backingFile, format: format === 'raw' ? 'raw' : 'qcow2' };
}
