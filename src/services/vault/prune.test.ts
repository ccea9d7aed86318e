import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DEFAULT_MAX_UNUSED_MS, newestPerProduct, selectPrunable } from './prune.js';
import type { ImageRecord } from './records.js';

const DAY = 24 * 60 * 60 * 1000;
const NOW = 100 * DAY;

function rec(
  id: string,
  lastUsedDaysAgo: number,
  usedBy: string[] = [],
  version = '1',
  product = 'p',
): ImageRecord {
  return {
    id: id.repeat(64),
    sizeBytes: 1,
    source: {
      kind: 'catalog',
      remote: 'release',
      product,
      release: 'r',
      releaseTitle: 'r',
      codename: 'c',
      version,
      aliases: [],
      url: 'u',
      sha256: id.repeat(64),
    },
    fetchedAtMs: 0,
    lastUsedMs: NOW - lastUsedDaysAgo * DAY,
    usedBy,
  };
}

test('prunes unused images idle longer than the limit (14 days by default), never used ones', () => {
  const records = [rec('a', 15), rec('b', 13), rec('c', 400, ['vm1']), rec('d', 14)];
  const ids = (rs: ImageRecord[]) => rs.map((r) => r.id[0]);
  assert.deepEqual(ids(selectPrunable(records, { nowMs: NOW, maxUnusedMs: DEFAULT_MAX_UNUSED_MS })), ['a']);
  assert.deepEqual(ids(selectPrunable(records, { nowMs: NOW, maxUnusedMs: 0 })), ['a', 'b', 'd']);
  const busy = new Set(['a'.repeat(64)]);
  assert.deepEqual(ids(selectPrunable(records, { nowMs: NOW, maxUnusedMs: 0, busy })), ['b', 'd']);
  assert.throws(() => selectPrunable(records, { nowMs: NOW, maxUnusedMs: NaN }), RangeError);
});

test('newest cached version per product, by version order', () => {
  const records = [
    rec('a', 0, [], '20251120.9'),
    rec('b', 0, [], '20251120.10'),
    rec('c', 0, [], '20251119'),
    rec('d', 0, [], '1', 'other'),
  ];
  assert.deepEqual(
    newestPerProduct(records).map((r) => r.id[0]),
    ['b', 'd'],
  );
});
