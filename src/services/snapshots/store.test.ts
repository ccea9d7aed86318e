import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SnapshotStore } from './store.js';

test('updates to different instances at once both reach the disk', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'skiff-snapshot-store-'));
  try {
    const store = new SnapshotStore(dir);
    await store.load();
    await Promise.all(
      ['a', 'b', 'c'].map((name) => store.update(name, (s) => ((s.taken = 1), (s.head = null)))),
    );
    const reloaded = new SnapshotStore(dir);
    await reloaded.load();
    assert.deepEqual(reloaded.instances(), ['a', 'b', 'c']);
    assert.equal(reloaded.get('b').taken, 1);
    await Promise.all([store.forget('a'), store.update('d', (s) => (s.taken = 2))]);
    assert.deepEqual(store.instances(), ['b', 'c', 'd']);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
