/**
 * @module What the snapshots service needs from the outside: the instances (their records, their operation
 * queue, ending a VM and booting one from a snapshot) and the VM driver's Snapshotter
 * (services/instances/ports.ts). The daemon's composition root wires these to the instances service.
 */
import type { InstanceRecord } from '../instances/store.js';

export interface SnapshotInstances {
  /** Runs `work` in the instance's operation queue (never beside a start, stop or delete of it). */
  withInstance<T>(name: string, work: () => Promise<T>): Promise<T>;
  /** The instance's record, or undefined. */
  get(name: string): InstanceRecord | undefined;
  /** Applies `change` to the record and persists it. */
  update(name: string, change: (r: InstanceRecord) => void): Promise<InstanceRecord>;
  /** Inside withInstance: ends its VM at once and records it Stopped. */
  endVm(name: string): Promise<InstanceRecord>;
  /** Inside withInstance: starts it from a snapshot with saved memory; resolves once SSH answers. */
  bootFromSnapshot(name: string, snapshotId: string): Promise<InstanceRecord>;
}
