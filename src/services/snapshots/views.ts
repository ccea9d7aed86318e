/**
 * @module What the snapshots service answers with: a snapshot as the user sees it (parent and children by
 * name). Pure.
 */
import type { MountEntry } from '../instances/store.js';
import type { InstanceSnapshots, SnapshotRecord } from './store.js';

export interface SnapshotView {
  instance: string;
  name: string;
  comment: string;
  /** The parent's name, or null (none, or deleted with no ancestor left). */
  parent: string | null;
  /** The names of the snapshots taken on top of this one. */
  children: string[];
  createdAtMs: number;
  memory: boolean;
  cpus: number;
  memoryBytes: number;
  diskBytes: number;
  mounts: MountEntry[];
}

/** The view of `record`, one of `all`'s snapshots of `instance`. */
export function snapshotView(instance: string, all: InstanceSnapshots, record: SnapshotRecord): SnapshotView {
  const byIndex = new Map(all.snapshots.map((s) => [s.index, s.name]));
  return {
    instance,
    name: record.name,
    comment: record.comment,
    parent: record.parent === null ? null : (byIndex.get(record.parent) ?? null),
    children: all.snapshots.filter((s) => s.parent === record.index).map((s) => s.name),
    createdAtMs: record.createdAtMs,
    memory: record.memory,
    cpus: record.cpus,
    memoryBytes: record.memoryBytes,
    diskBytes: record.diskBytes,
    mounts: structuredClone(record.mounts),
  };
}
