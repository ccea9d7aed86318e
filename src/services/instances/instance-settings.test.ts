import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
import { fakeInstancesDeps } from '../../testing/fake-instances-deps.js';
import { FakeDriver } from '../../testing/fake-vm.js';
import { SettingsService } from '../settings/settings-service.js';
import { InstancesService } from './instances.js';
import { InstanceStore } from './store.js';

async function setup(options: { bridged?: string } = {}) {
  const dataDir = await mkdtemp(join(tmpdir(), 'skiff-instance-settings-'));
  const store = new InstanceStore(dataDir);
  await store.load();
  const driver = new FakeDriver({
    suspend: true,
    resize: true,
    snapshots: false,
    mounts: false,
    extraNics: true,
    forward: true,
    clone: true,
    reseed: true,
  });
  const deps = {
    ...fakeInstancesDeps(dataDir, store),
    driver,
    hostNetworks: {
      list: async () => [{ name: 'br0', type: 'bridge' as const, description: 'Network bridge' }],
    },
    bridgedNetwork: () => options.bridged ?? '',
  };
  const service = new InstancesService(deps);
  const settings = new SettingsService(dataDir, {}, () => 0);
  await settings.load();
  settings.addHandler(service.settings);
  const ctx = { progress: () => undefined };
  await service.launch({ image: 'noble', name: 'vm', cpus: 1, memory: '1G', disk: '5G' }, ctx);
  return {
    dataDir,
    store,
    driver,
    service,
    settings,
    cleanup: () => rm(dataDir, { recursive: true, force: true }),
  };
}

test('get shows each instance key; every key is listed, sorted, with the fixed ones', async () => {
  const t = await setup();
  try {
    assert.equal(t.settings.get('local.vm.cpus'), '1');
    assert.equal(t.settings.get('local.vm.memory'), '1G');
    assert.equal(t.settings.get('local.vm.disk'), '5G');
    assert.equal(t.settings.get('local.vm.bridged'), 'false');
    const keys = Object.keys(t.settings.all());
    assert.deepEqual(keys, [...keys].sort());
    for (const key of [
      'local.vm.bridged',
      'local.vm.cpus',
      'local.vm.disk',
      'local.vm.memory',
      'local.driver',
    ])
      assert.ok(keys.includes(key), key);
    assert.throws(() => t.settings.get('local.nope.cpus'), {
      code: 'not-found',
      message: 'Cannot obtain instance settings; instance: nope; reason: No such instance',
    });
  } finally {
    await t.cleanup();
  }
});

test('a stopped instance: cpus, memory and disk change, the disk grows now, the rest at the next start', async () => {
  const t = await setup();
  try {
    await t.service.stop('vm');
    assert.equal(await t.settings.set('local.vm.cpus', '2'), '2');
    assert.equal(await t.settings.set('local.vm.memory', '1.5G'), '1.5G');
    assert.equal(await t.settings.set('local.vm.disk', '8G'), '8G');
    assert.equal(t.driver.vm('vm').diskBytes, 8 * 2 ** 30);
    const record = t.store.get('vm')!;
    assert.deepEqual([record.cpus, record.memoryBytes, record.diskBytes], [2, 1.5 * 2 ** 30, 8 * 2 ** 30]);
    await t.service.start('vm');
    const spec = t.driver.vm('vm').start!;
    assert.deepEqual([spec.cpus, spec.memoryBytes], [2, 1.5 * 2 ** 30]);
  } finally {
    await t.cleanup();
  }
});

test('refused, nothing changed: running, shrink, bad values, missing and deleted instances', async () => {
  const t = await setup();
  try {
    const before = t.store.get('vm');
    await assert.rejects(t.settings.set('local.vm.cpus', '2'), {
      code: 'conflict',
      message:
        'Cannot update instance settings; instance: vm; reason: Instance must be stopped for modification',
    });
    await t.service.stop('vm');
    const stopped = t.store.get('vm');
    await assert.rejects(t.settings.set('local.vm.disk', '4G'), {
      code: 'invalid-argument',
      message: "Invalid setting 'local.vm.disk=4G': Disk can only be expanded",
    });
    for (const [key, value, why] of [
      ['cpus', 'x', /Need a positive integer/],
      ['cpus', '0', /Need a positive integer|not a whole number/],
      ['cpus', '0x10', /Need a positive integer/],
      ['cpus', '513', /not a whole number from 1 to 512/],
      [
        'memory',
        '1CiG',
        /^Invalid setting 'local\.vm\.memory=1CiG': 1CiG is not a valid memory size - .*0\.5G\)$/,
      ],
      ['memory', '100M', /below the minimum of 512M/],
      ['memory', '100T', /more than this host's/],
      ['disk', 'big', /big is not a valid memory size/],
      ['bridged', 'maybe', /Invalid flag/],
    ] as const) {
      await assert.rejects(
        t.settings.set(`local.vm.${key}`, value),
        (e: { code: string; message: string }) => {
          assert.equal(e.code, 'invalid-argument');
          assert.ok(e.message.startsWith(`Invalid setting 'local.vm.${key}=${value}': `), e.message);
          assert.match(e.message, why);
          return true;
        },
      );
    }
    assert.deepEqual(t.store.get('vm'), stopped);
    assert.deepEqual([before?.cpus, before?.memoryBytes, before?.diskBytes], [1, 2 ** 30, 5 * 2 ** 30]);
    assert.equal(t.driver.vm('vm').diskBytes, 5 * 2 ** 30);
    await assert.rejects(t.settings.set('local.nope.cpus', '2'), {
      code: 'not-found',
      message: 'Cannot update instance settings; instance: nope; reason: No such instance',
    });
    await t.service.delete('vm');
    await assert.rejects(t.settings.set('local.vm.cpus', '2'), {
      code: 'conflict',
      message: 'Cannot update instance settings; instance: vm; reason: Instance is deleted',
    });
    // Keys outside the family are still the fixed ones'.
    await assert.rejects(t.settings.set('local.vm.colour', 'red'), { code: 'invalid-argument' });
  } finally {
    await t.cleanup();
  }
});

test('bridged=true adds a NIC on local.bridged-network and a new instance-id; it cannot be removed', async () => {
  const t = await setup({ bridged: 'br0' });
  try {
    await t.service.stop('vm');
    const oldId = (parse(t.driver.vm('vm').cloudInit['meta-data']) as Record<string, string>)['instance-id'];
    assert.equal(await t.settings.set('local.vm.bridged', 'false'), 'false', 'not bridged: false is a no-op');
    assert.equal(await t.settings.set('local.vm.bridged', 'true'), 'true');
    const nics = t.store.get('vm')!.extraNics!;
    assert.deepEqual(
      nics.map((n) => [n.host, n.kind, n.mode]),
      [['br0', 'bridge', 'auto']],
    );
    const seed = t.driver.vm('vm').cloudInit;
    const meta = parse(seed['meta-data']) as Record<string, string>;
    assert.notEqual(meta['instance-id'], oldId);
    assert.equal(meta['local-hostname'], 'vm');
    assert.match(seed['network-config'] ?? '', new RegExp(nics[0]!.mac));
    assert.equal(await t.settings.set('local.vm.bridged', 'on'), 'true', 'already bridged: a no-op');
    assert.equal(t.store.get('vm')!.extraNics!.length, 1);
    await assert.rejects(t.settings.set('local.vm.bridged', 'false'), {
      message:
        "Invalid setting 'local.vm.bridged=false': Removing the bridged network is currently not supported",
    });
    await t.service.start('vm');
    assert.deepEqual(
      t.driver.vm('vm').start!.nics.map((n) => n.attach),
      [{ kind: 'user' }, { kind: 'bridge', bridge: 'br0' }],
    );
  } finally {
    await t.cleanup();
  }
});

test('bridged=true without local.bridged-network: the error names the setting, nothing changed', async () => {
  const t = await setup();
  try {
    await t.service.stop('vm');
    const seed = structuredClone(t.driver.vm('vm').cloudInit);
    await assert.rejects(t.settings.set('local.vm.bridged', 'true'), {
      code: 'not-found',
      message: /local\.bridged-network/,
    });
    assert.equal(t.store.get('vm')!.extraNics, undefined);
    assert.deepEqual(t.driver.vm('vm').cloudInit, seed);
  } finally {
    await t.cleanup();
  }
});
