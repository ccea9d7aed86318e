/**
 * @module One boot of an existing instance: its NICs (skiff's network brought up for NAT mode), the VM
 * started or resumed, SSH awaited, and cloud-init too when a crash cut its first run short.
 */
import { deadlineSignal } from '../../core/deadline.js';
import { SkiffError } from '../../core/errors.js';
import { cloudInitFinished, cloudInitWarning, waitForCloudInit } from './cloud-init-wait.js';
import { bootNics } from './nics.js';
import type { GuestShell, ManagedNetwork, MountShare, SshTarget, VmInstance } from './ports.js';
import type { Clock } from '../../core/clock.js';
import type { InstanceRecord, InstanceStore } from './store.js';

export interface BootDeps {
  vm: VmInstance;
  store: InstanceStore;
  shell: GuestShell;
  clock: Clock;
  network?: ManagedNetwork;
  /** Where SSH reaches the guest of `record`, pinned to its host key. */
  target: (record: InstanceRecord) => SshTarget;
  /** The host directories the boot shares with the guest. */
  bootShares?: (record: InstanceRecord) => Promise<MountShare[]>;
}

/**
 * Starts the VM and waits for SSH; on a boot whose guest has not finished cloud-init's first run, also for
 * cloud-init. Only the deadline (`timeoutS`) ends the wait. @throws SkiffError timeout when it passes
 */
export async function bootInstance(
  deps: BootDeps,
  record: InstanceRecord,
  options: {
    resume: boolean;
    /** Start from this snapshot's saved memory (the guest carries on from there, like a resume). */
    loadSnapshot?: string;
    timeoutS: number;
    progress?: (message: string) => void;
    warn?: (message: string) => void;
  },
): Promise<void> {
  const { timeoutS } = options;
  const timer = deadlineSignal(deps.clock, timeoutS * 1000);
  const deadline = timer.signal;
  try {
    const { nics, sshAddress } = await bootNics(record, deps.network);
    const endpoint = await deps.vm.start(
      {
        cpus: record.cpus,
        memoryBytes: record.memoryBytes,
        nics,
        sshAddress,
        resume: options.resume,
        ...(options.loadSnapshot !== undefined && { loadSnapshot: options.loadSnapshot }),
        mounts: await deps.bootShares?.(record),
      },
      deadline,
    );
    const updated = await deps.store.update(
      record.name,
      (r) => ((r.sshPort = endpoint.port), (r.sshHost = endpoint.host)),
    );
    const target = deps.target(updated);
    await deps.shell.waitReady(target, { timeoutMs: timeoutS * 1000, signal: deadline });
    if (options.resume || options.loadSnapshot !== undefined) return;
    if ((await cloudInitFinished(deps.shell, target, deadline)) !== false) return;
    options.progress?.('Waiting for initialization to complete');
    const warning = cloudInitWarning(record.name, await waitForCloudInit(deps.shell, target, deadline));
    if (warning !== null) options.warn?.(warning);
  } catch (error) {
    if (!deadline.aborted) throw error;
    throw new SkiffError('timeout', `"${record.name}" did not become ready within ${timeoutS} s`, {
      cause: error,
    });
  } finally {
    timer.dispose();
  }
}
