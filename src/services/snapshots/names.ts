/**
 * @module Snapshot names and the `INSTANCE.SNAPSHOT` form the CLI and settings use. Pure.
 */
import { SkiffError } from '../../core/errors.js';

/** Multipass's rule for snapshot names: that of host (and instance) names. */
export const SNAPSHOT_NAME = /^[A-Za-z](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?$/;
/** The longest comment kept. */
export const MAX_COMMENT_LENGTH = 4096;

/** @throws SkiffError invalid-argument in Multipass's words */
export function checkSnapshotName(name: string): string {
  if (!SNAPSHOT_NAME.test(name))
    throw new SkiffError(
      'invalid-argument',
      `Invalid snapshot name: "${name}". Names start with a letter, contain only letters, digits and "-", do not end with "-", and have at most 63 characters`,
      { details: { field: 'snapshot' } },
    );
  return name;
}

/** @throws SkiffError invalid-argument when too long */
export function checkComment(comment: string): string {
  if (comment.length > MAX_COMMENT_LENGTH)
    throw new SkiffError('invalid-argument', `comment: at most ${MAX_COMMENT_LENGTH} characters`, {
      details: { field: 'comment' },
    });
  return comment;
}

/** The name Multipass gives the n-th snapshot when none is asked for. */
export const defaultSnapshotName = (taken: number): string => `snapshot${taken + 1}`;

/** Multipass's words for a snapshot that is not there. */
export function noSuchSnapshot(instance: string, snapshot: string): SkiffError {
  return new SkiffError('not-found', `No such snapshot: ${instance}.${snapshot}`, {
    details: { instance, snapshot },
  });
}
