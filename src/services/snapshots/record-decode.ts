/**
 * @module Checks snapshot records loaded from `snapshots.json` before anything uses them: instance names become
 * paths, snapshot names keys and table cells, mounts directories the daemon shares. An instance whose entry is
 * malformed loses its records (with a line saying why); its snapshots stay in its disk. Pure.
 */
import { SkiffError } from '../../core/errors.js';
import { mountProblem } from '../instances/record-decode.js';
import { checkInstanceName } from '../instances/spec.js';
import type { Decoded } from '../persist/state-file.js';
import { MAX_COMMENT_LENGTH, SNAPSHOT_NAME } from './names.js';
import type { InstanceSnapshots, SnapshotFile } from './store.js';

type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);
const isCount = (v: unknown, min: number): v is number => Number.isSafeInteger(v) && (v as number) >= min;

/** @throws SkiffError internal when `data` is not an object at all (the whole file is unusable) */
export function decodeSnapshotFile(data: unknown): Decoded<SnapshotFile> {
  if (!isObject(data)) throw new SkiffError('internal', 'snapshot records: expected an object by instance');
  const value: SnapshotFile = {};
  const dropped: string[] = [];
  for (const [instance, raw] of Object.entries(data)) {
    const problem = instanceProblem(instance, raw);
    if (problem === null) value[instance] = raw as InstanceSnapshots;
    else dropped.push(`dropped the snapshot records of ${JSON.stringify(instance)}: ${problem}`);
  }
  return { value, dropped };
}

function instanceProblem(instance: string, r: unknown): string | null {
  try {
    checkInstanceName(instance);
  } catch {
    return 'not a valid instance name';
  }
  if (!isObject(r)) return 'expected an object';
  if (!isCount(r.taken, 0)) return 'taken: expected a whole number';
  if (!Array.isArray(r.snapshots)) return 'snapshots: expected a list';
  const indexes = new Set<number>();
  const names = new Set<string>();
  for (const [i, s] of r.snapshots.entries()) {
    const problem = snapshotProblem(s, r.taken);
    if (problem !== null) return `snapshots[${i}].${problem}`;
    const { index, name } = s as { index: number; name: string };
    if (indexes.has(index) || names.has(name)) return `snapshots[${i}]: a second snapshot ${name}`;
    indexes.add(index);
    names.add(name);
  }
  for (const s of r.snapshots as Array<{ parent: number | null }>)
    if (s.parent !== null && !indexes.has(s.parent)) return `a parent (${s.parent}) that is not there`;
  if (r.head !== null && !(isCount(r.head, 1) && indexes.has(r.head)))
    return 'head: expected the index of one of its snapshots, or null';
  return null;
}

function snapshotProblem(s: unknown, taken: number): string | null {
  if (!isObject(s)) return ': expected an object';
  if (!isCount(s.index, 1) || s.index > taken) return 'index: expected a whole number up to taken';
  if (typeof s.name !== 'string' || !SNAPSHOT_NAME.test(s.name)) return 'name: expected a snapshot name';
  if (typeof s.comment !== 'string' || s.comment.length > MAX_COMMENT_LENGTH)
    return 'comment: expected a string';
  if (s.parent !== null && !isCount(s.parent, 1)) return 'parent: expected an index or null';
  if (typeof s.createdAtMs !== 'number' || !Number.isFinite(s.createdAtMs) || s.createdAtMs < 0)
    return 'createdAtMs: expected a time in ms';
  if (typeof s.memory !== 'boolean') return 'memory: expected true or false';
  for (const key of ['cpus', 'memoryBytes', 'diskBytes'] as const)
    if (!isCount(s[key], 1)) return `${key}: expected a whole number >= 1`;
  if (!Array.isArray(s.mounts)) return 'mounts: expected a list';
  const targets = new Set<string>();
  for (const [i, m] of s.mounts.entries()) {
    const problem = mountProblem(m, targets);
    if (problem !== null) return `mounts[${i}]${problem}`;
    targets.add((m as { target: string }).target);
  }
  return null;
}
