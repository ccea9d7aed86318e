import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fakeInstancesDeps } from '../../testing/fake-instances-deps.js';
import { InstancesService } from '../instances/instances.js';
import { InstanceStore, type MountEntry } from '../instances/store.js';
import { SnapshotsService } from './snapshots-service.js';
import { SnapshotStore } from './store.js';

const MOUNT: MountEntry = {
  source: '/srv/data',
  target: '/srv/data',
  type: 'native',
  uidMap: [],
  gidMap: [],
  tag: 'm-srv-data',
};

async function setup() {
  const dataDir = await mkdtemp(join(tmpdir(), 'skiff-snapshots-'));
  const store = new InstanceStore(dataDir);
  await store.load();
  const snapshotStore = new SnapshotStore(dataDir);
  await snapshotStore.load();
  const deps = fakeInstancesDeps(dataDir, store);
  // `snapshots` exists by the time anything is purged.
  const instances = new InstancesService({ ...deps, purged: (name) => snapshots.forget(name) });
  const snapshots: SnapshotsService = new SnapshotsService({
    store: snapshotStore,
    driver: deps.driver,
    clock: deps.clock,
    instances: {
      withInstance: (name, work) => instances.withInstance(name, work),
      get: (name) => store.get(name),
      update: (name, change) => store.update(name, change),
      endVm: (name) => instances.endVm(name),
      bootFromSnapshot: (name, id) => instances.bootFromSnapshot(name, id),
    },
  });
  await instances.launch(
    { image: 'noble', name: 'web', cpus: 2, memory: '1G', disk: '5G' },
    { progress: () => undefined },
  );
  const vm = () => deps.driver.vm('web');
  return {
    dataDir,
    store,
    snapshotStore,
    driver: deps.driver,
    instances,
    snapshots,
    vm,
    cleanup: () => rm(dataDir, { recursive: true, force: true }),
  };
}

test('a stopped instance gets disk-only snapshots named snapshot1, snapshot2, ... with parents, sizes and mounts', async () => {
  const t = await setup();
  try {
    await t.instances.stop('web');
    await t.store.update('web', (r) => (r.mounts = [MOUNT]));
    const first = await t.snapshots.take('web', { comment: 'clean' });
    assert.equal(first.memory, false);
    assert.equal(first.snapshot.name, 'snapshot1');
    assert.equal(first.snapshot.parent, null);
    assert.deepEqual(
      [first.snapshot.cpus, first.snapshot.memoryBytes, first.snapshot.diskBytes],
      [2, 2 ** 30, 5 * 2 ** 30],
    );
    assert.deepEqual(first.snapshot.mounts, [MOUNT]);
    const second = await t.snapshots.take('web', { name: 'mine' });
    assert.equal(second.snapshot.parent, 'snapshot1');
    // Deleted names are never reused: the counter goes on.
    await t.snapshots.delete('web', 'mine');
    const third = await t.snapshots.take('web');
    assert.equal(third.snapshot.name, 'snapshot3');
    assert.equal(third.snapshot.parent, 'snapshot1', 'the head fell back to the deleted one’s parent');
    assert.deepEqual(t.snapshots.info('web', 'snapshot1').children, ['snapshot3']);
    assert.equal(t.snapshots.count('web'), 2);
    assert.deepEqual(
      [...t.vm().snapshots.keys()],
      ['skiff-snapshot-1', 'skiff-snapshot-3'],
      'the driver holds exactly the recorded ones',
    );
  } finally {
    await t.cleanup();
  }
});

test('a running instance gets disk and memory; restoring that brings it back running from the snapshot', async () => {
  const t = await setup();
  try {
    t.vm().content = 'before';
    const taken = await t.snapshots.take('web', { name: 'live' });
    assert.equal(taken.memory, true);
    assert.equal(t.store.get('web')?.state, 'Running', 'it kept running');
    t.vm().content = 'after';
    await t.store.update('web', (r) => (r.cpus = 4));
    const restored = await t.snapshots.restore('web', 'live', { destructive: true });
    assert.equal(restored.state, 'Running');
    assert.equal(restored.before, null);
    assert.equal(t.vm().content, 'before');
    assert.equal(t.vm().start?.loadSnapshot, 'skiff-snapshot-1');
    assert.equal(t.vm().start?.cpus, 2, 'the recorded sizes come back');
    assert.equal(t.store.get('web')?.state, 'Running');
    assert.equal(t.store.get('web')?.cpus, 2);
  } finally {
    await t.cleanup();
  }
});

test('restore of a disk-only snapshot needs a stopped instance, and snapshots the current state unless destructive', async () => {
  const t = await setup();
  try {
    await t.instances.stop('web');
    t.vm().content = 'first';
    await t.snapshots.take('web');
    await t.instances.start('web');
    await assert.rejects(t.snapshots.restore('web', 'snapshot1', { destructive: true }), {
      code: 'conflict',
      message: /only restore a disk-only snapshot of a stopped instance/,
    });
    await t.instances.stop('web');
    t.vm().content = 'second';
    await t.store.update('web', (r) => (r.mounts = [MOUNT]));
    const restored = await t.snapshots.restore('web', 'snapshot1', { destructive: false });
    assert.equal(restored.before?.name, 'snapshot2');
    assert.equal(restored.before?.comment, 'Before restoring snapshot1');
    assert.equal(restored.state, 'Stopped');
    assert.equal(t.vm().content, 'first');
    assert.deepEqual(t.store.get('web')?.mounts, [], 'the recorded mounts come back');
    // The instance now stands on snapshot1: the next one descends from it.
    assert.equal((await t.snapshots.take('web')).snapshot.parent, 'snapshot1');
  } finally {
    await t.cleanup();
  }
});

test('a running instance with mounts, a suspended one and a deleted one are refused, naming why; nothing changes', async () => {
  const t = await setup();
  try {
    await t.store.update('web', (r) => (r.mounts = [MOUNT]));
    await assert.rejects(t.snapshots.take('web'), { code: 'conflict', message: /mounts \(\/srv\/data => / });
    await t.store.update('web', (r) => (r.mounts = []));
    await t.instances.suspend('web');
    await assert.rejects(t.snapshots.take('web'), { code: 'conflict', message: /it is suspended/ });
    await t.instances.delete('web');
    await assert.rejects(t.snapshots.take('web'), { message: 'instance "web" is deleted' });
    await assert.rejects(t.snapshots.take('nope'), {
      code: 'not-found',
      message: 'instance "nope" does not exist',
    });
    assert.equal(t.snapshots.count('web'), 0);
    assert.equal(t.vm().snapshots.size, 0);
  } finally {
    await t.cleanup();
  }
});

test('bad names, duplicates and missing snapshots get Multipass’s words and change nothing', async () => {
  const t = await setup();
  try {
    await t.instances.stop('web');
    await assert.rejects(t.snapshots.take('web', { name: '1bad' }), {
      code: 'invalid-argument',
      message: /^Invalid snapshot name: "1bad"/,
    });
    await t.snapshots.take('web', { name: 'base' });
    await assert.rejects(t.snapshots.take('web', { name: 'base' }), {
      code: 'conflict',
      message: 'Snapshot already exists: web.base',
    });
    await assert.rejects(t.snapshots.restore('web', 'gone', { destructive: true }), {
      code: 'not-found',
      message: 'No such snapshot: web.gone',
    });
    await assert.rejects(t.snapshots.delete('web', 'gone'), { message: 'No such snapshot: web.gone' });
    assert.throws(() => t.snapshots.info('web', 'gone'), { code: 'not-found' });
    assert.deepEqual(
      t.snapshots.list('web').map((s) => s.name),
      ['base'],
    );
    assert.equal(t.vm().snapshots.size, 1);
  } finally {
    await t.cleanup();
  }
});

test('rename keeps children pointing at it; comment changes; both checked', async () => {
  const t = await setup();
  try {
    await t.instances.stop('web');
    await t.snapshots.take('web');
    await t.snapshots.take('web');
    await t.snapshots.rename('web', 'snapshot1', 'base');
    assert.equal(t.snapshots.info('web', 'snapshot2').parent, 'base');
    await assert.rejects(t.snapshots.rename('web', 'base', 'snapshot2'), {
      message: 'Snapshot already exists: web.snapshot2',
    });
    await assert.rejects(t.snapshots.rename('web', 'base', 'no good'), { code: 'invalid-argument' });
    await t.snapshots.setComment('web', 'base', 'the start');
    assert.equal(t.snapshots.info('web', 'base').comment, 'the start');
  } finally {
    await t.cleanup();
  }
});

test('records survive a daemon restart; a purged instance loses its snapshots; bad records are dropped', async () => {
  const t = await setup();
  try {
    await t.instances.stop('web');
    await t.snapshots.take('web', { comment: 'kept' });
    const reloaded = new SnapshotStore(t.dataDir);
    await reloaded.load();
    assert.equal(reloaded.get('web').snapshots[0]?.comment, 'kept');
    await t.instances.delete('web', { purge: true });
    assert.equal(t.snapshots.count('web'), 0);
    assert.deepEqual(t.snapshotStore.instances(), []);

    const file = join(t.dataDir, 'snapshots.json');
    const envelope = JSON.parse(await readFile(file, 'utf8')) as { data: unknown };
    envelope.data = {
      '../x': { taken: 0, head: null, snapshots: [] },
      ok: { taken: 1, head: 1, snapshots: [] },
    };
    await writeFile(file, JSON.stringify(envelope));
    const bad = new SnapshotStore(t.dataDir);
    const loaded = await bad.load();
    assert.deepEqual(bad.instances(), []);
    assert.equal(loaded.problems.length, 2);
  } finally {
    await t.cleanup();
  }
});
