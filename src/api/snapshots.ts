/**
 * @module The wire contract of snapshots: paths, bodies, answers and their JSON Schemas (kept apart from
 * contract.ts and schemas.ts so the concept reads in one place). No I/O.
 */
import { API_PREFIX, type InstanceParams } from './contract.js';

const at = (name: string) => `${API_PREFIX}/instances/${encodeURIComponent(name)}/snapshots`;

export const SNAPSHOT_PATHS = {
  /** Every snapshot of every instance that is not deleted. */
  all: `${API_PREFIX}/snapshots`,
  /** GET: an instance's snapshots; POST: take one (NDJSON). */
  instance: at,
  /** GET: one; DELETE: remove it for good. */
  one: (name: string, snapshot: string) => `${at(name)}/${encodeURIComponent(snapshot)}`,
  /** POST: restore it (NDJSON). */
  restore: (name: string, snapshot: string) => `${at(name)}/${encodeURIComponent(snapshot)}/restore`,
} as const;

/** The same paths as the daemon's router declares them. */
export const SNAPSHOT_ROUTES = {
  instance: `${API_PREFIX}/instances/:name/snapshots`,
  one: `${API_PREFIX}/instances/:name/snapshots/:snapshot`,
  restore: `${API_PREFIX}/instances/:name/snapshots/:snapshot/restore`,
} as const;

/** `:name` and `:snapshot` of one snapshot's path. */
export interface SnapshotParams extends InstanceParams {
  snapshot: string;
}

/** `snapshot NAME [-n SNAPSHOT] [-c COMMENT]`. */
export interface TakeSnapshotBody {
  /** Default: snapshotN, N one more than the snapshots ever taken of the instance. */
  name?: string;
  comment?: string;
}

/** `restore NAME.SNAPSHOT`: without destructive, the current state is snapshotted first. */
export interface RestoreSnapshotBody {
  destructive?: boolean;
}

export interface SnapshotMountJson {
  source_path: string;
  target_path: string;
}

export interface SnapshotJson {
  instance: string;
  name: string;
  comment: string;
  /** The parent's name, or `` (none). */
  parent: string;
  children: string[];
  /** ISO 8601. */
  created: string;
  /** Memory saved too (taken while running): a restore brings the instance back running. */
  memory: boolean;
  cpu_count: number;
  memory_bytes: number;
  disk_bytes: number;
  mounts: SnapshotMountJson[];
}

export interface SnapshotsResponse {
  snapshots: SnapshotJson[];
}

export interface TakeSnapshotResponse {
  snapshot: SnapshotJson;
  memory: boolean;
}

export interface RestoreSnapshotResponse {
  snapshot: SnapshotJson;
  /** The snapshot of the state before, when not destructive. */
  before: SnapshotJson | null;
  /** The instance's state after: Running (memory restored) or Stopped. */
  state: string;
}

const NAME = { type: 'string', minLength: 1, maxLength: 63 } as const;

export const snapshotParamsSchema = {
  type: 'object',
  properties: { name: NAME, snapshot: NAME },
  required: ['name', 'snapshot'],
} as const;

export const takeSnapshotBodySchema = {
  type: 'object',
  properties: { name: NAME, comment: { type: 'string', maxLength: 4096 } },
  additionalProperties: false,
} as const;

export const restoreSnapshotBodySchema = {
  type: 'object',
  properties: { destructive: { type: 'boolean' } },
  additionalProperties: false,
} as const;
