/**
 * @module The contract between the instances service and a VM backend (QEMU today). Services depend on this
 * interface only; `daemon/compose.ts` passes the real implementation, unit tests a fake.
 *
 * Every VM lives in its own directory (`dir`), which holds everything needed to find it again after a daemon
 * restart: see VM_FILES. The backend keeps no state in memory that cannot be rebuilt from that directory.
 */
import type { SshTarget } from '../core/ssh-args.js';

export type { SshTarget };

/** File names inside an instance directory. */
export const VM_FILES = {
  /** qcow2 overlay whose backing file is the cached base image. */
  disk: 'disk.qcow2',
  /** NoCloud seed (ISO9660, volume label `cidata`). */
  seed: 'seed.iso',
  /** QMP Unix socket. */
  qmp: 'qmp.sock',
  /** QEMU's own pidfile (-pidfile). */
  pid: 'qemu.pid',
  /** Guest serial console output. */
  serial: 'serial.log',
  /** QEMU's stderr. */
  log: 'qemu.log',
} as const;

export type Accelerator = 'kvm' | 'tcg';

export interface VmLaunchSpec {
  name: string;
  /** Absolute instance directory. */
  dir: string;
  cpus: number;
  memoryBytes: number;
  /** Host port on 127.0.0.1 forwarded to the guest's port 22 (user-mode networking). */
  sshPort: number;
  /** MAC address of the virtio NIC (stable per instance). */
  mac: string;
  accel: Accelerator;
  /** Restore the state saved by suspend() when starting. */
  resumeFromSuspend?: boolean;
}

/** What the host process of a VM is doing. `suspended` = stopped with saved RAM state to resume from. */
export type VmPower = 'running' | 'paused' | 'stopped' | 'suspended';

export interface VmBackend {
  /** Which accelerator this host can use, and why (one line for the log, e.g. "KVM: /dev/kvm is usable"). */
  detectAccelerator(): Promise<{ accel: Accelerator; reason: string }>;
  /** Creates `dir/disk.qcow2` backed by `baseImage` (absolute path), with virtual size `diskBytes`. */
  createDisk(options: { dir: string; baseImage: string; diskBytes: number }): Promise<void>;
  /** Grows the disk (never shrinks). The VM must be stopped. */
  resizeDisk(options: { dir: string; diskBytes: number }): Promise<void>;
  /** Virtual and allocated sizes of the instance disk. */
  diskInfo(dir: string): Promise<{ virtualBytes: number; actualBytes: number; backingFile: string | null }>;
  /**
   * Spawns QEMU detached (it survives the daemon), with a QMP socket and pidfile in `dir`; resolves once QMP
   * answers. @throws when QEMU fails to start (its stderr in the message).
   */
  start(spec: VmLaunchSpec, signal?: AbortSignal): Promise<{ pid: number }>;
  /** What the VM in `dir` is doing, from the pidfile, the process table and QMP (never throws). */
  power(dir: string): Promise<VmPower>;
  /** The pid of a running QEMU for `dir`, or null. */
  pid(dir: string): Promise<number | null>;
  /** ACPI power button; resolves when QEMU exited, or throws after `timeoutMs`. */
  powerdown(dir: string, timeoutMs: number): Promise<void>;
  /** Ends QEMU at once (QMP quit, then SIGKILL). Resolves when it is gone. */
  kill(dir: string): Promise<void>;
  /** Saves the VM's state into the disk image and ends QEMU; start with resumeFromSuspend restores it. */
  suspend(dir: string): Promise<void>;
  /**
   * Finishes or undoes a suspend that the daemon died during, so the VM is never left paused: a complete
   * saved state ends QEMU (`suspended`); a VM still in QEMU without one is resumed (`running`); without QEMU,
   * `suspended` or `stopped` by what was saved. Waits for a save still in progress.
   */
  settleSuspend(dir: string): Promise<'suspended' | 'running' | 'stopped'>;
  /** Whether `dir` holds a saved suspend state. */
  hasSuspendState(dir: string): Promise<boolean>;
  /** Restarts the guest (ACPI reset is not graceful: this is `system_reset`), used by `restart --force`. */
  reset(dir: string): Promise<void>;
}

/** Runs commands in a guest over SSH (OpenSSH client with the daemon's key). */
export interface GuestShell {
  /** Resolves once the guest's SSH server sends its banner and a trivial command succeeds. */
  waitReady(target: SshTarget, options: { timeoutMs: number; signal?: AbortSignal }): Promise<void>;
  /**
   * Runs a command, collecting output (for short daemon-side commands like reading /etc/os-release). `signal`
   * ends the session at once (rejecting with its reason). Implementations bound how many run at once;
   * `timeoutMs` counts from the start of the command, and output past `maxOutputBytes` fails the run.
   */
  run(
    target: SshTarget,
    command: string,
    options?: { timeoutMs?: number; input?: string; signal?: AbortSignal; maxOutputBytes?: number },
  ): Promise<{ code: number; stdout: string; stderr: string }>;
}
