import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { SnapshotJson } from '../../api/snapshots.js';
import { renderTable } from './table.js';
import { snapshotBlock, snapshotInfoJson, snapshotListDocument, snapshotListRenderers } from './snapshots.js';

const snap = (over: Partial<SnapshotJson>): SnapshotJson => ({
  instance: 'web',
  name: 'snapshot1',
  comment: '',
  parent: '',
  children: [],
  created: '2026-01-02T03:04:05.006Z',
  memory: false,
  cpu_count: 2,
  memory_bytes: 2 ** 30,
  disk_bytes: 5 * 2 ** 30,
  mounts: [],
  ...over,
});

test('list --snapshots: Multipass JSON by instance, a table with -- for blanks and long comments cut', () => {
  const doc = snapshotListDocument([
    snap({ instance: 'web', name: 'b', parent: 'a', comment: 'x'.repeat(60) }),
    snap({ instance: 'db', name: 'a' }),
  ]);
  assert.deepEqual(doc, {
    errors: [],
    info: { db: { a: { parent: '', comment: '' } }, web: { b: { parent: 'a', comment: 'x'.repeat(60) } } },
  });
  const table = snapshotListRenderers.table(doc);
  if (typeof table === 'string' || 'note' in table) return assert.fail('expected rows');
  assert.deepEqual(table.rows[0], ['db', 'a', '--', '--']);
  assert.equal(table.rows[1]?.[3], `${'x'.repeat(49)}…`);
  assert.match(renderTable(table.headers, table.rows), /^Instance {2}Snapshot {2}Parent {2}Comment\n/);
  assert.deepEqual(snapshotListRenderers.table(snapshotListDocument([])), { note: 'No snapshots found.' });
});

test('info of a snapshot: Multipass fields (numbers as strings, mounts by target) and its block', () => {
  const json = snapshotInfoJson(
    snap({ memory: true, children: ['c1', 'c2'], mounts: [{ source_path: '/src', target_path: '/dst' }] }),
  );
  assert.equal(json.cpu_count, '2');
  assert.equal(json.disk_space, String(5 * 2 ** 30));
  assert.deepEqual(json.mounts, { '/dst': { source_path: '/src' } });
  assert.equal(json.memory_saved, true);
  const block = snapshotBlock('web', 'snapshot1', { ...json, comment: 'one\ntwo' });
  assert.match(block, /^Snapshot: {7}snapshot1\nInstance: {7}web\n/);
  assert.match(block, /^Children: {7}c1\n {16}c2$/m);
  assert.match(block, /^Mounts: {9}\/src => \/dst$/m);
  assert.match(block, /^Comment: {8}one\n {16}two$/m);
  assert.match(block, /^Saved: {10}disk and memory/m);
});
