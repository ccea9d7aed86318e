/**
 * @module Which cached images to remove. Pure: records and times in, a selection out.
 */
import { compareVersions } from '../catalog/version-order.js';
import type { ImageRecord } from './records.js';

/** Unused images are pruned after this long by default: 14 days. */
export const DEFAULT_MAX_UNUSED_MS = 14 * 24 * 60 * 60 * 1000;

export interface PruneRules {
  nowMs: number;
  maxUnusedMs: number;
  /** Ids being downloaded, installed or handed out right now: never pruned. */
  busy?: ReadonlySet<string>;
}

/**
 * The images to remove: no instance uses them and they were last used longer than `maxUnusedMs` ago.
 * An image with any user is never selected, however old.
 */
export function selectPrunable(records: Iterable<ImageRecord>, rules: PruneRules): ImageRecord[] {
  if (!(rules.maxUnusedMs >= 0)) throw new RangeError(`maxUnusedMs must be >= 0, got ${rules.maxUnusedMs}`);
  const selected: ImageRecord[] = [];
  for (const record of records) {
    if (record.usedBy.length > 0) continue;
    if (rules.busy?.has(record.id)) continue;
    if (rules.nowMs - record.lastUsedMs > rules.maxUnusedMs) selected.push(record);
  }
  return selected;
}

/**
 * For each (remote, product) of catalog images, the newest cached record: the ones a refresh asks about.
 */
export function newestPerProduct(records: Iterable<ImageRecord>): ImageRecord[] {
  const newest = new Map<string, ImageRecord>();
  for (const record of records) {
    if (record.source.kind !== 'catalog') continue;
    const key = `${record.source.remote}\0${record.source.product}`;
    const current = newest.get(key);
    if (current === undefined || isNewer(record, current)) newest.set(key, record);
  }
  return [...newest.values()];
}

/** True when `a` is a newer catalog version than `b`; equal versions: the one fetched later. */
export function isNewer(a: ImageRecord, b: ImageRecord): boolean {
  const va = a.source.kind === 'catalog' ? a.source.version : '';
  const vb = b.source.kind === 'catalog' ? b.source.version : '';
  const order = compareVersions(va, vb);
  return order === 0 ? a.fetchedAtMs > b.fetchedAtMs : order > 0;
}
