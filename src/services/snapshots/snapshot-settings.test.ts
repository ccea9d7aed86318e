import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseSnapshotKey } from './snapshot-settings.js';

test('parseSnapshotKey: local.INSTANCE.SNAPSHOT.name|comment, nothing else', () => {
  assert.deepEqual(parseSnapshotKey('local.web.snapshot1.name'), {
    instance: 'web',
    snapshot: 'snapshot1',
    property: 'name',
  });
  assert.equal(parseSnapshotKey('local.web.snapshot1.comment')?.property, 'comment');
  for (const key of [
    'local.driver',
    'local.web.cpus',
    'local.web.snap.size',
    'client.web.snap.name',
    'local..snap.name',
    'local.web.a.b.name',
  ])
    assert.equal(parseSnapshotKey(key), null, key);
});
