import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
import { fakeInstancesDeps } from '../../testing/fake-instances-deps.js';
import { FakeNetwork } from '../../testing/fake-network.js';
import { cloneName, cloneRecord } from './clone.js';
import { InstancesService } from './instances.js';
import { reconcileInstances } from './reconcile.js';
import { InstanceStore } from './store.js';

const quiet = { info: () => undefined, warn: () => undefined };

async function setup(options: { network?: FakeNetwork } = {}) {
  const dataDir = await mkdtemp(join(tmpdir(), 'skiff-clone-'));
  const store = new InstanceStore(dataDir);
  await store.load();
  const deps = {
    ...fakeInstancesDeps(dataDir, store),
    ...(options.network ? { network: options.network, networkMode: () => 'nat' as const } : {}),
  };
  const service = new InstancesService(deps);
  const ctx = { progress: () => undefined };
  return { dataDir, store, deps, driver: deps.driver, service, ctx };
}

/** A launched and stopped `src` with a mount and a forward. */
async function stoppedSource(t: Awaited<ReturnType<typeof setup>>) {
  await t.service.launch({ image: 'noble', name: 'src', cpus: 2, memory: '1G', disk: '6G' }, t.ctx);
  await t.service.stop('src');
  await t.store.update('src', (r) => {
    r.mounts = [
      {
        source: '/srv/a',
        target: '/srv/a',
        type: 'native',
        tag: 'm0',
        uidMap: [],
        gidMap: [],
        transport: '9p',
      },
    ];
    r.forwards = [{ protocol: 'tcp', hostAddress: '127.0.0.1', hostPort: 8080, guestPort: 80 }];
  });
  return t.store.get('src')!;
}

const metaOf = (t: Awaited<ReturnType<typeof setup>>, name: string) =>
  parse(t.driver.vm(name).cloudInit['meta-data']) as Record<string, string>;

test('clone: a stopped copy with its own MAC, hostname and instance-id; the source untouched', async () => {
  const t = await setup();
  try {
    const source = await stoppedSource(t);
    const sourceSeed = structuredClone(t.driver.vm('src').cloudInit);
    const clone = await t.service.clone('src');
    assert.equal(clone.name, 'src-clone1');
    assert.equal(clone.state, 'Stopped');
    assert.equal(clone.launched, true);
    assert.deepEqual([clone.cpus, clone.memoryBytes, clone.diskBytes], [2, 2 ** 30, 6 * 2 ** 30]);
    assert.notEqual(clone.mac, source.mac);
    assert.equal(clone.forwards, undefined, 'a host port has one listener: forwards stay with the source');
    assert.deepEqual(
      clone.mounts?.map((m) => [m.source, m.target, m.transport]),
      [['/srv/a', '/srv/a', undefined]],
    );
    assert.equal(clone.hostKey, source.hostKey, 'the user-data, host key included, is the source');
    // The seed: the clone's identity, the source's user-data.
    const meta = metaOf(t, 'src-clone1');
    assert.equal(meta['local-hostname'], 'src-clone1');
    assert.notEqual(meta['instance-id'], metaOf(t, 'src')['instance-id']);
    assert.match(meta['instance-id']!, /^src-clone1-[0-9a-f]{8}$/);
    assert.match(t.driver.vm('src-clone1').cloudInit['network-config'] ?? '', new RegExp(clone.mac));
    assert.equal(t.driver.vm('src-clone1').cloudInit['user-data'], sourceSeed['user-data']);
    // The source: record and seed as they were.
    assert.deepEqual(t.store.get('src'), source);
    assert.deepEqual(t.driver.vm('src').cloudInit, sourceSeed);
    assert.deepEqual(await readdir(join(t.dataDir, 'guests', 'src-clone1')), ['known_hosts']);
    // The next default name is the first free one.
    assert.equal((await t.service.clone('src')).name, 'src-clone2');
    await t.service.delete('src-clone1', { purge: true });
    assert.equal((await t.service.clone('src', '')).name, 'src-clone1');
  } finally {
    await rm(t.dataDir, { recursive: true, force: true });
  }
});

test('clone: the copy boots alone, and on after its source is purged', async () => {
  const t = await setup();
  try {
    await stoppedSource(t);
    const clone = await t.service.clone('src', 'copy');
    assert.equal(clone.name, 'copy');
    await t.service.delete('src', { purge: true });
    assert.equal(t.store.has('src'), false);
    const running = await t.service.start('copy');
    assert.equal(running.state, 'Running');
    const spec = t.driver.vm('copy').start!;
    assert.deepEqual(
      [spec.cpus, spec.memoryBytes, spec.nics[0]?.mac],
      [2, 2 ** 30, clone.mac],
      'its own MAC and the source sizes',
    );
  } finally {
    await rm(t.dataDir, { recursive: true, force: true });
  }
});

test('clone of a running, deleted or missing source, or to a bad or taken name: refused, nothing made', async () => {
  const t = await setup();
  try {
    await t.service.launch({ image: 'noble', name: 'src' }, t.ctx);
    await t.service.launch({ image: 'noble', name: 'other' }, t.ctx);
    const names = () => t.store.all().map((r) => r.name);
    const before = names();
    await assert.rejects(t.service.clone('src'), {
      code: 'conflict',
      message: 'skiff can only clone stopped instances: "src" is Running',
    });
    await t.service.stop('src');
    await assert.rejects(t.service.clone('nope'), {
      code: 'not-found',
      message: 'instance "nope" does not exist',
    });
    await assert.rejects(t.service.clone('src', 'Bad_Name'), (e: { code: string; details: object }) => {
      assert.equal(e.code, 'invalid-argument');
      assert.deepEqual(e.details, { field: 'name' });
      return true;
    });
    await assert.rejects(t.service.clone('src', 'other'), {
      code: 'conflict',
      message: 'instance "other" already exists',
    });
    await assert.rejects(t.service.clone('src', 'src'), { code: 'conflict' });
    await t.service.delete('src');
    await assert.rejects(t.service.clone('src'), {
      code: 'conflict',
      message: /^instance "src" is deleted/,
    });
    assert.deepEqual(names(), before);
    assert.equal(t.driver.calls.filter((c) => c.startsWith('clone ')).length, 0);
  } finally {
    await rm(t.dataDir, { recursive: true, force: true });
  }
});

test('a clone that fails midway leaves nothing: no record, no storage, no identity', async () => {
  const t = await setup();
  try {
    await stoppedSource(t);
    t.driver.failClone = new Error('disk full');
    await assert.rejects(t.service.clone('src'), /disk full/);
    assert.deepEqual(
      t.store.all().map((r) => r.name),
      ['src'],
    );
    assert.equal(t.driver.vms.has('src-clone1'), false);
    assert.deepEqual(await readdir(join(t.dataDir, 'guests')), ['src']);
  } finally {
    await rm(t.dataDir, { recursive: true, force: true });
  }
});

test('a clone the daemon died during is removed at the next start', async () => {
  const t = await setup();
  try {
    const source = await stoppedSource(t);
    // What the clone wrote before the crash: its unfinished record, and part of its storage.
    await t.store.put(cloneRecord(source, 'src-clone1', new Set([source.mac]), 5));
    await t.driver.instance('src').cloner!.cloneTo('src-clone1', t.driver.vm('src').cloudInit);
    const store = new InstanceStore(t.dataDir);
    await store.load();
    const report = await reconcileInstances({
      store,
      driver: t.driver,
      images: t.deps.images,
      instances: new InstancesService({ ...t.deps, store }),
      identityDir: t.deps.identityDir,
      log: quiet,
    });
    assert.deepEqual(report.removedUnfinished, ['src-clone1']);
    assert.deepEqual(
      store.all().map((r) => r.name),
      ['src'],
    );
    assert.equal(t.driver.vms.has('src-clone1'), false);
  } finally {
    await rm(t.dataDir, { recursive: true, force: true });
  }
});

test('NAT mode: the clone gets its own address at its first boot, not the source one', async () => {
  const network = new FakeNetwork();
  const t = await setup({ network });
  try {
    await t.service.launch({ image: 'noble', name: 'src' }, t.ctx);
    await t.service.stop('src');
    const clone = await t.service.clone('src');
    assert.deepEqual(clone.network, { mode: 'nat' });
    await t.service.start(clone.name);
    const ours = network.reservations.get(clone.name);
    assert.equal(ours?.mac, clone.mac);
    assert.notEqual(ours?.ipv4, network.reservations.get('src')?.ipv4);
  } finally {
    await rm(t.dataDir, { recursive: true, force: true });
  }
});

test('cloneName: the first free SOURCE-cloneN, or the name asked for', () => {
  const taken = new Set(['a-clone1', 'a-clone3']);
  assert.equal(
    cloneName('a', undefined, (n) => taken.has(n)),
    'a-clone2',
  );
  assert.equal(
    cloneName('a', 'b', (n) => taken.has(n)),
    'b',
  );
  assert.throws(() => cloneName('a', 'a-clone1', (n) => taken.has(n)), { code: 'conflict' });
  // A default that would break the name rules (63 characters at most) is refused, naming the rule.
  assert.throws(() => cloneName('x'.repeat(60), undefined, () => false), { code: 'invalid-argument' });
});
