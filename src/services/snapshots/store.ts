/**
 * @module Snapshot records on disk (`snapshots.json` in the data directory: atomic, schema-versioned, the
 * previous version kept as `.bak`), by instance. The snapshots themselves live in the instance's storage
 * (the driver's); these records say what each one is: its name, comment, parent, when, and the instance's
 * sizes and mounts at that moment. Parents and the head are kept by index, so a rename touches one record.
 */
import { join } from 'node:path';
import type { MountEntry } from '../instances/store.js';
import { loadStateFile, writeStateFile, type StateLoad } from '../persist/state-file.js';
import { decodeSnapshotFile } from './record-decode.js';

const SCHEMA = 1;

export interface SnapshotRecord {
  /** Taken as the instance's n-th snapshot: unique within it and never reused (the driver's id is made of it). */
  index: number;
  /** Unique within the instance; the user may rename it (`local.NAME.SNAPSHOT.name`). */
  name: string;
  comment: string;
  /** The index of the snapshot the instance stood on when this one was taken, or null. */
  parent: number | null;
  createdAtMs: number;
  /** Whether memory was saved too (taken while running): restoring it brings the instance back running. */
  memory: boolean;
  cpus: number;
  memoryBytes: number;
  diskBytes: number;
  mounts: MountEntry[];
}

export interface InstanceSnapshots {
  /** How many snapshots were ever taken (the next default name is `snapshot<taken + 1>`). */
  taken: number;
  /** The snapshot the instance stands on now (the last taken or restored), or null. */
  head: number | null;
  snapshots: SnapshotRecord[];
}

export type SnapshotFile = Record<string, InstanceSnapshots>;

/** The driver's id of a snapshot: from its index, never from a name the user can change. */
export const snapshotId = (index: number): string => `skiff-snapshot-${index}`;

export class SnapshotStore {
  private data: SnapshotFile = {};
  private writing: Promise<void> = Promise.resolve();
  private readonly path: string;

  constructor(
    dataDir: string,
    private readonly now: () => number = Date.now,
  ) {
    this.path = join(dataDir, 'snapshots.json');
  }

  /** Loads the records, recovering from a corrupt file. @returns what was wrong, for the log. */
  async load(): Promise<StateLoad<SnapshotFile>> {
    const loaded = await loadStateFile({
      path: this.path,
      schema: SCHEMA,
      decode: decodeSnapshotFile,
      now: this.now(),
    });
    this.data = loaded.value ?? {};
    return loaded;
  }

  /** A copy of the instance's snapshots (none yet: an empty set). */
  get(instance: string): InstanceSnapshots {
    return structuredClone(this.data[instance] ?? { taken: 0, head: null, snapshots: [] });
  }

  instances(): string[] {
    return Object.keys(this.data).sort();
  }

  /**
   * Applies `change` to a copy of the instance's snapshots and stores it once it is on disk (a failed write
   * changes nothing). Writes are serialised, and each starts from the one before, so changes to different
   * instances never overwrite each other.
   */
  update<T>(instance: string, change: (s: InstanceSnapshots) => T): Promise<T> {
    let result: T;
    return this.write((data) => {
      const next = structuredClone(data[instance] ?? { taken: 0, head: null, snapshots: [] });
      result = change(next);
      return { ...data, [instance]: next };
    }).then(() => result);
  }

  /** Drops every record of the instance. */
  async forget(instance: string): Promise<void> {
    if (!(instance in this.data)) return;
    await this.write((data) => {
      const next = { ...data };
      delete next[instance];
      return next;
    });
  }

  private write(change: (data: SnapshotFile) => SnapshotFile): Promise<void> {
    const done = this.writing
      .catch(() => undefined)
      .then(async () => {
        const next = change(this.data);
        await writeStateFile(this.path, SCHEMA, next);
        this.data = next;
      });
    this.writing = done;
    return done;
  }
}
