/**
 * @module What a QEMU machine is made of: every VM lives in its own directory (`dir`), which holds everything
 * needed to find it again after a daemon restart (VM_FILES); QemuBackend keeps no state in memory that cannot
 * be rebuilt from it. Services never see this: they talk to the driver seam (services/instances/ports.ts).
 */
import { SEED_ISO } from '../iso/seed-iso.js';
import type { VmPower } from '../../services/instances/ports.js';

export type { VmPower };

/** File names inside an instance directory. */
export const VM_FILES = {
  /** qcow2 overlay whose backing file is the cached base image. */
  disk: 'disk.qcow2',
  /** NoCloud seed (ISO9660, volume label `cidata`). */
  seed: SEED_ISO,
  /** QMP Unix socket. */
  qmp: 'qmp.sock',
  /** QEMU's own pidfile (-pidfile). */
  pid: 'qemu.pid',
  /** Guest serial console output. */
  serial: 'serial.log',
  /** QEMU's stderr. */
  log: 'qemu.log',
  /** The device layout of the last fresh boot (`shares`); absent for VMs booted before shares existed. */
  layout: 'machine-layout',
} as const;

/** One NIC as QEMU is told about it; every MAC is stable per instance. */
export type QemuNic =
  /** User-mode NAT; `sshPort` on 127.0.0.1 forwards to the guest's port 22. */
  | { kind: 'user'; mac: string; sshPort: number }
  /** A tap QEMU creates (`ifname`) and the backend then enslaves to `bridge` before the guest runs. */
  | { kind: 'tap'; mac: string; ifname: string; bridge: string }
  /** A macvtap device made beforehand: the daemon's open descriptor `hostFd` of it is inherited by QEMU. */
  | { kind: 'macvtap'; mac: string; hostFd: number };

export type Accelerator = 'kvm' | 'tcg';

/**
 * A host directory shared from the boot on, each on its own PCIe root port (so it can be unplugged later):
 * virtio-fs served by a virtiofsd already listening on `socket`, or virtio-9p served by QEMU itself.
 */
export type QemuShare =
  | { kind: 'virtiofs'; tag: string; socket: string }
  | { kind: '9p'; tag: string; source: string; securityModel: 'passthrough' | 'mapped-xattr' };

/** Files of one share's virtiofsd in the instance directory (socket, pidfile, log), by tag. */
export function shareFile(tag: string, what: 'sock' | 'pid' | 'log'): string {
  return `fs-${tag}.${what}`;
}

export interface VmLaunchSpec {
  name: string;
  /** Absolute instance directory. */
  dir: string;
  cpus: number;
  memoryBytes: number;
  /** The virtio NICs in guest order (netdev ids n0, n1, ...); at most one user-mode NIC, and only first. */
  nics: QemuNic[];
  accel: Accelerator;
  /** Restore the state saved by suspend() when starting. */
  resumeFromSuspend?: boolean;
  /** Start from this internal snapshot's saved memory and disk (`-loadvm`); kept afterwards. */
  loadSnapshot?: string;
  /** Shares on the command line, on root ports rp0, rp1, ... in this order (spare ports follow them). */
  shares?: QemuShare[];
  /**
   * The machine's device layout. `shares` (the default): RAM from a shared memfd and spare PCIe root ports, so
   * shares can be added while it runs. `legacy`: neither, as skiff made VMs before shares; only to resume a
   * state saved then (a saved state resumes only into the devices it was saved from).
   */
  layout?: MachineLayout;
}

export type MachineLayout = 'shares' | 'legacy';
