import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { parse } from 'yaml';
import { FakeDriver } from '../../testing/fake-vm.js';
import { fakeInstancesDeps } from '../../testing/fake-instances-deps.js';
import { InstancesService } from './instances.js';
import type { HostInterface } from './ports.js';
import { InstanceStore } from './store.js';

const SHA = 'b'.repeat(64);
const INTERFACES: HostInterface[] = [
  { name: 'br0', type: 'bridge', description: 'Network bridge' },
  { name: 'eth2', type: 'ethernet', description: 'Ethernet device' },
];

async function setup(options: { extraNics: boolean; bridged?: string }) {
  const dataDir = await mkdtemp(join(tmpdir(), 'skiff-launch-networks-'));
  const store = new InstanceStore(dataDir);
  await store.load();
  const driver = new FakeDriver({
    suspend: true,
    resize: true,
    snapshots: false,
    mounts: false,
    extraNics: options.extraNics,
    forward: true,
  });
  let listed = 0;
  const deps = fakeInstancesDeps(dataDir, store, { sha: SHA });
  const { images } = deps;
  const service = new InstancesService({
    ...deps,
    driver,
    hostNetworks: { list: async () => (listed++, INTERFACES) },
    bridgedNetwork: () => options.bridged ?? '',
  });
  const ctx = { progress: () => undefined };
  /** Nothing of a launch exists: no record, no image taken, no driver call. */
  const nothingMade = () => {
    assert.deepEqual(store.all(), []);
    assert.deepEqual(driver.calls, []);
    assert.equal(images.users.size, 0);
  };
  return {
    service,
    store,
    driver,
    ctx,
    nothingMade,
    listed: () => listed,
    cleanup: () => rm(dataDir, { recursive: true, force: true }),
  };
}

test('--network on a bridge and an ethernet device: recorded, seeded by MAC, started after the primary NIC', async () => {
  const t = await setup({ extraNics: true, bridged: 'br0' });
  try {
    const record = await t.service.launch(
      {
        image: 'noble',
        name: 'web',
        networks: [{ name: 'bridged' }, { name: 'eth2', mode: 'manual', mac: '52:54:00:AB:00:02' }],
      },
      t.ctx,
    );
    const [bridge, macvtap] = record.extraNics ?? [];
    assert.deepEqual(
      { ...bridge, mac: undefined },
      { host: 'br0', kind: 'bridge', mode: 'auto', mac: undefined },
    );
    assert.match(bridge?.mac ?? '', /^52:54:00(?::[0-9a-f]{2}){3}$/);
    assert.deepEqual(macvtap, { host: 'eth2', kind: 'macvtap', mode: 'manual', mac: '52:54:00:ab:00:02' });
    assert.equal(new Set([record.mac, bridge?.mac, macvtap?.mac]).size, 3);
    assert.deepEqual(t.driver.vm('web').start?.nics, [
      { mac: record.mac, attach: { kind: 'user' } },
      { mac: bridge?.mac, attach: { kind: 'bridge', bridge: 'br0' } },
      { mac: '52:54:00:ab:00:02', attach: { kind: 'macvtap', parent: 'eth2' } },
    ]);
    const net = parse(t.driver.vm('web').cloudInit['network-config'] ?? '', { version: '1.1' }) as {
      ethernets: Record<string, { match: { macaddress: string } }>;
    };
    assert.deepEqual(Object.keys(net.ethernets), ['default', 'extra0']);
    assert.equal(net.ethernets.extra0?.match.macaddress, bridge?.mac);

    // A stop and start brings the same NICs back.
    await t.service.stop('web', {});
    await t.service.start('web', {});
    assert.deepEqual(t.driver.vm('web').start?.nics.slice(1), [
      { mac: bridge?.mac, attach: { kind: 'bridge', bridge: 'br0' } },
      { mac: '52:54:00:ab:00:02', attach: { kind: 'macvtap', parent: 'eth2' } },
    ]);

    // Another instance may not take one of these MACs.
    await assert.rejects(
      t.service.launch(
        { image: 'noble', name: 'db', networks: [{ name: 'br0', mac: '52:54:00:ab:00:02' }] },
        t.ctx,
      ),
      { code: 'conflict', message: /MAC address 52:54:00:ab:00:02 is already used by instance "web"/ },
    );
    assert.equal(t.store.has('db'), false);
  } finally {
    await t.cleanup();
  }
});

test('an unknown interface, an unset bridged network or a bad MAC: an error before anything is made', async () => {
  const t = await setup({ extraNics: true });
  try {
    await assert.rejects(
      t.service.launch({ image: 'noble', name: 'a', networks: [{ name: 'nosuch' }] }, t.ctx),
      {
        code: 'not-found',
        message: /--network nosuch: no usable host interface named "nosuch"/,
      },
    );
    await assert.rejects(t.service.launch({ image: 'noble', networks: [{ name: 'bridged' }] }, t.ctx), {
      code: 'not-found',
      message: /local\.bridged-network=<name>/,
    });
    await assert.rejects(
      t.service.launch({ image: 'noble', networks: [{ name: 'br0', mac: 'ff:ff:ff:ff:ff:ff' }] }, t.ctx),
      { code: 'invalid-argument', message: /multicast/ },
    );
    await assert.rejects(
      t.service.launch({ image: 'noble', networks: [{ name: 'br0', mode: 'static' }] }, t.ctx),
      {
        code: 'invalid-argument',
      },
    );
    t.nothingMade();
  } finally {
    await t.cleanup();
  }
});

test("a driver without extra NICs: the named unsupported error, after the user's own mistakes, nothing made", async () => {
  const t = await setup({ extraNics: false });
  try {
    await assert.rejects(t.service.launch({ image: 'noble', networks: [{ name: 'br0' }] }, t.ctx), {
      code: 'unsupported',
      message: 'the fake driver does not support extra network interfaces',
    });
    await assert.rejects(t.service.launch({ image: 'noble', networks: [{ name: 'nosuch' }] }, t.ctx), {
      code: 'not-found',
    });
    t.nothingMade();
    // Without --network the host interfaces are not even read.
    const listedBefore = t.listed();
    await t.service.launch({ image: 'noble', name: 'plain' }, t.ctx);
    assert.equal(t.listed(), listedBefore);
    assert.equal(t.store.get('plain')?.extraNics, undefined);
    assert.equal(t.driver.vm('plain').start?.nics.length, 1);
  } finally {
    await t.cleanup();
  }
});
