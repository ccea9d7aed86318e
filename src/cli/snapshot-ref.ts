/**
 * @module `INSTANCE.SNAPSHOT`, the way restore, info and delete name a snapshot (instance names have no dot).
 * Pure.
 */
import { SkiffError } from '../core/errors.js';

export interface SnapshotRef {
  instance: string;
  snapshot: string;
}

/** The instance and snapshot of `word`, or null when it names an instance alone. */
export function snapshotRef(word: string): SnapshotRef | null {
  const dot = word.indexOf('.');
  if (dot < 0) return null;
  return { instance: word.slice(0, dot), snapshot: word.slice(dot + 1) };
}

/** @throws SkiffError invalid-argument in Multipass's words when `word` is not INSTANCE.SNAPSHOT */
export function requireSnapshotRef(word: string, verb = 'restore'): SnapshotRef {
  const ref = snapshotRef(word);
  if (ref === null || ref.instance === '' || ref.snapshot === '' || ref.snapshot.includes('.'))
    throw new SkiffError(
      'invalid-argument',
      `Invalid format. Please specify the instance to ${verb} and snapshot to use in the form <instance>.<snapshot>.`,
      { details: { field: 'instance.snapshot' } },
    );
  return ref;
}
