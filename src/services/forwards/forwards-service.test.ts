import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SkiffError } from '../../core/errors.js';
import { forwardHostLabel, type ForwardHost, type ForwardRule } from '../../core/forward-rule.js';
import { FakeDriver } from '../../testing/fake-vm.js';
import { fakeInstancesDeps } from '../../testing/fake-instances-deps.js';
import { FakeNetwork } from '../../testing/fake-network.js';
import { InstancesService } from '../instances/instances.js';
import { InstanceStore } from '../instances/store.js';
import { ForwardsService } from './forwards-service.js';
import type { PortProbe, RelayFactory } from './ports.js';

const SHA = 'a'.repeat(64);
const root = async () => 0;
const member = async () => 1000;

/** Relays that only record what they were asked; `taken` ports fail like a bound port. */
class FakeRelays implements RelayFactory {
  readonly open_: string[] = [];
  readonly closed: string[] = [];
  readonly taken = new Set<number>();
  async open(rule: ForwardRule, target: { host: string; port: number }) {
    const label = `${forwardHostLabel(rule)}->${target.host}:${target.port}`;
    if (this.taken.has(rule.hostPort))
      throw new SkiffError('conflict', `${forwardHostLabel(rule)} is in use`);
    this.open_.push(label);
    return { close: async () => void this.closed.push(label) };
  }
}

class FakeProbe implements PortProbe {
  readonly taken = new Set<number>();
  readonly checked: string[] = [];
  async check(host: ForwardHost) {
    this.checked.push(forwardHostLabel(host));
    if (this.taken.has(host.hostPort))
      throw new SkiffError('conflict', `${forwardHostLabel(host)} is already in use on this host`);
  }
}

async function setup(options: { mode?: 'nat' | 'user' } = {}) {
  const dataDir = await mkdtemp(join(tmpdir(), 'skiff-forwards-'));
  const store = new InstanceStore(dataDir);
  await store.load();
  const driver = new FakeDriver();
  const relays = new FakeRelays();
  const probe = new FakeProbe();
  const warnings: string[] = [];
  const log = { info: () => undefined, warn: (_: object, msg: string) => void warnings.push(msg) };
  const makeForwards = (s: InstanceStore) =>
    new ForwardsService({
      store: s,
      driver,
      relays,
      probe,
      // `instances` is made below; this runs only once it is.
      liveStates: async () => new Map((await instances.list()).map((v) => [v.record.name, v.state])),
      log,
    });
  const forwards = makeForwards(store);
  const instances: InstancesService = new InstancesService({
    ...fakeInstancesDeps(dataDir, store, { sha: SHA }),
    driver,
    lifecycle: forwards,
    networkMode: () => options.mode ?? 'user',
    network: new FakeNetwork(),
  });
  const launch = (name: string) => instances.launch({ image: 'noble', name }, { progress: () => undefined });
  /** A free loopback port for the fake driver, which binds for real (as QEMU would). */
  let nextPort = 20000 + (process.pid % 20000);
  const port = () => nextPort++;
  return {
    store,
    driver,
    relays,
    probe,
    forwards,
    instances,
    warnings,
    launch,
    port,
    makeForwards,
    cleanup: async () => {
      await forwards.close();
      for (const name of driver.vms.keys()) await driver.dropForwards(name);
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}

const rule = (hostPort: number, guestPort = 80, hostAddress = '127.0.0.1'): ForwardRule => ({
  protocol: 'tcp',
  hostAddress,
  hostPort,
  guestPort,
});
const activeOf = async (t: Awaited<ReturnType<typeof setup>>, name: string) =>
  (await t.forwards.list(name)).map((f) => `${forwardHostLabel(f)}:${f.active}`);
const driverForwards = (t: Awaited<ReturnType<typeof setup>>, name: string) =>
  [...t.driver.vm(name).forwards.keys()].sort();

test('user mode: a rule added to a running instance is carried by the driver at once and recorded', async () => {
  const t = await setup();
  try {
    await t.launch('web');
    const port = t.port();
    const view = await t.forwards.add('web', rule(port), member);
    assert.deepEqual(view, { instance: 'web', ...rule(port), active: true });
    assert.deepEqual(driverForwards(t, 'web'), [`tcp:127.0.0.1:${port}`]);
    assert.deepEqual(t.store.get('web')?.forwards, [rule(port)]);
    assert.deepEqual(await activeOf(t, 'web'), [`127.0.0.1:${port}/tcp:true`]);
    assert.deepEqual(t.relays.open_, [], 'no relay for a user-mode guest');
  } finally {
    await t.cleanup();
  }
});

test('stop drops the forwards, start carries them again; restart, suspend/resume and delete too', async () => {
  const t = await setup();
  try {
    await t.launch('web');
    const port = t.port();
    await t.forwards.add('web', rule(port), member);
    await t.instances.stop('web');
    assert.deepEqual(driverForwards(t, 'web'), []);
    assert.deepEqual(await activeOf(t, 'web'), [`127.0.0.1:${port}/tcp:false`], 'kept, inactive');
    await t.instances.start('web');
    assert.deepEqual(driverForwards(t, 'web'), [`tcp:127.0.0.1:${port}`]);
    assert.deepEqual(await activeOf(t, 'web'), [`127.0.0.1:${port}/tcp:true`]);
    await t.instances.restart('web');
    assert.deepEqual(driverForwards(t, 'web'), [`tcp:127.0.0.1:${port}`], 'the new VM process has it');
    await t.instances.suspend('web');
    assert.deepEqual(await activeOf(t, 'web'), [`127.0.0.1:${port}/tcp:false`]);
    await t.instances.start('web');
    assert.equal(t.driver.vm('web').start?.resume, true);
    assert.deepEqual(await activeOf(t, 'web'), [`127.0.0.1:${port}/tcp:true`]);
    await t.instances.delete('web');
    assert.deepEqual(await activeOf(t, 'web'), [`127.0.0.1:${port}/tcp:false`]);
    await t.instances.delete('web', { purge: true });
    assert.deepEqual(await t.forwards.list(), [], 'gone with the instance');
    await assert.rejects(t.forwards.list('web'), { code: 'not-found' });
  } finally {
    await t.cleanup();
  }
});

test('a stopped instance: the rule is only recorded, after the port-taken check', async () => {
  const t = await setup();
  try {
    await t.launch('web');
    await t.instances.stop('web');
    const calls = t.driver.calls.length;
    t.probe.taken.add(8081);
    await assert.rejects(t.forwards.add('web', rule(8081), member), {
      code: 'conflict',
      message: '127.0.0.1:8081/tcp is already in use on this host',
    });
    assert.equal(t.store.get('web')?.forwards, undefined, 'nothing recorded');
    const view = await t.forwards.add('web', rule(8080), member);
    assert.equal(view.active, false);
    assert.deepEqual(t.probe.checked, ['127.0.0.1:8081/tcp', '127.0.0.1:8080/tcp']);
    assert.equal(t.driver.calls.length, calls, 'the driver was not asked');
    assert.deepEqual(t.store.get('web')?.forwards, [rule(8080)]);
  } finally {
    await t.cleanup();
  }
});

test('a taken port on a running instance: the carrier refuses, nothing is recorded', async () => {
  const t = await setup();
  try {
    await t.launch('web');
    const port = t.port();
    await t.forwards.add('web', rule(port), member);
    // Another instance's VM holds the port for real now (the driver binds): the driver itself refuses.
    await t.launch('db');
    await t.driver.instance('db').hostForwarder!.add(rule(port + 1000));
    await assert.rejects(t.forwards.add('web', rule(port + 1000), member), { code: 'conflict' });
    assert.deepEqual(t.store.get('web')?.forwards, [rule(port)]);
  } finally {
    await t.cleanup();
  }
});

test('a duplicate, or a host socket another instance forwards, is a conflict naming it', async () => {
  const t = await setup();
  try {
    await t.launch('web');
    await t.launch('db');
    await t.instances.stop('web');
    await t.instances.stop('db');
    await t.forwards.add('web', rule(8080), member);
    await assert.rejects(t.forwards.add('web', rule(8080, 81), member), {
      code: 'conflict',
      message: '"web" already forwards 127.0.0.1:8080/tcp (to guest port 80)',
    });
    await assert.rejects(t.forwards.add('db', rule(8080, 80, '0.0.0.0'), member), {
      code: 'conflict',
      message: '0.0.0.0:8080/tcp is already in use on this host: 127.0.0.1:8080/tcp is forwarded to "web"',
    });
    // Another address, or the other protocol, is another socket.
    await t.forwards.add('db', rule(8080, 80, '127.0.0.2'), member);
    await t.forwards.add('db', { ...rule(8080), protocol: 'udp' }, member);
    assert.deepEqual(
      (await t.forwards.list()).map((f) => `${f.instance} ${forwardHostLabel(f)}`),
      ['db 127.0.0.2:8080/tcp', 'db 127.0.0.1:8080/udp', 'web 127.0.0.1:8080/tcp'],
    );
  } finally {
    await t.cleanup();
  }
});

test('a host port below 1024 only for root: the caller is asked only then', async () => {
  const t = await setup();
  try {
    await t.launch('web');
    await t.instances.stop('web');
    let asked = 0;
    const asking = (uid: number | null) => async () => (asked++, uid);
    await t.forwards.add('web', rule(8080), asking(1000));
    assert.equal(asked, 0);
    await assert.rejects(t.forwards.add('web', rule(80), asking(1000)), {
      code: 'permission-denied',
      message: /^host port 80 is below 1024: only root may forward it .*you are uid 1000/,
    });
    await assert.rejects(t.forwards.add('web', rule(1023), asking(null)), {
      code: 'permission-denied',
      message: /not known to be root/,
    });
    assert.deepEqual(t.store.get('web')?.forwards, [rule(8080)]);
    await t.forwards.add('web', rule(80), root);
    assert.deepEqual(t.store.get('web')?.forwards, [rule(8080), rule(80)]);
  } finally {
    await t.cleanup();
  }
});

test('bad input and unknown names are errors before anything is made', async () => {
  const t = await setup();
  try {
    await assert.rejects(t.forwards.add('ghost', rule(8080), member), {
      code: 'not-found',
      message: 'instance "ghost" does not exist',
    });
    await t.launch('web');
    await assert.rejects(t.forwards.add('web', rule(0), member), { code: 'invalid-argument' });
    await assert.rejects(t.forwards.add('web', { ...rule(8080), hostAddress: 'localhost' }, member), {
      code: 'invalid-argument',
    });
    await assert.rejects(t.forwards.remove('web', rule(8080)), {
      code: 'not-found',
      message: '"web" has no forward on 127.0.0.1:8080/tcp',
    });
    assert.deepEqual(t.probe.checked, []);
  } finally {
    await t.cleanup();
  }
});

test('remove stops carrying and forgets the rule', async () => {
  const t = await setup();
  try {
    await t.launch('web');
    const [a, b] = [t.port(), t.port()];
    await t.forwards.add('web', rule(a), member);
    await t.forwards.add('web', rule(b), member);
    assert.deepEqual(
      await t.forwards.remove('web', { protocol: 'tcp', hostAddress: '127.0.0.1', hostPort: a }),
      rule(a),
    );
    assert.deepEqual(driverForwards(t, 'web'), [`tcp:127.0.0.1:${b}`]);
    assert.deepEqual(t.store.get('web')?.forwards, [rule(b)]);
  } finally {
    await t.cleanup();
  }
});

test('nat mode: a relay to the guest address, dropped at stop, opened again at start, kept when still right', async () => {
  const t = await setup({ mode: 'nat' });
  try {
    await t.launch('web');
    assert.deepEqual(t.store.get('web')?.network, { mode: 'nat', ipv4: '10.9.9.2' });
    await t.forwards.add('web', rule(8080, 80), member);
    assert.deepEqual(t.relays.open_, ['127.0.0.1:8080/tcp->10.9.9.2:80']);
    assert.deepEqual(t.driver.vm('web').forwards.size, 0, 'not through the driver');
    await t.instances.start('web'); // already running: the relay stays, connections go on
    assert.deepEqual(t.relays.closed, []);
    await t.instances.stop('web');
    assert.deepEqual(t.relays.closed, ['127.0.0.1:8080/tcp->10.9.9.2:80']);
    await t.instances.start('web');
    assert.equal(t.relays.open_.length, 2);
    assert.deepEqual(await activeOf(t, 'web'), ['127.0.0.1:8080/tcp:true']);
  } finally {
    await t.cleanup();
  }
});

test('a rule that cannot be carried at start is logged and shown inactive; start still succeeds', async () => {
  const t = await setup({ mode: 'nat' });
  try {
    await t.launch('web');
    await t.instances.stop('web');
    await t.forwards.add('web', rule(8080), member);
    t.relays.taken.add(8080); // someone took it while the instance was stopped
    await t.instances.start('web');
    assert.deepEqual(await activeOf(t, 'web'), ['127.0.0.1:8080/tcp:false']);
    assert.deepEqual(t.warnings, ['forward not active']);
  } finally {
    await t.cleanup();
  }
});

test('a daemon start carries the forwards of every running instance', async () => {
  const t = await setup();
  try {
    await t.launch('web');
    await t.launch('db');
    const port = t.port();
    await t.forwards.add('web', rule(port), member);
    await t.forwards.add('db', rule(8080), member);
    await t.store.update('db', (r) => (r.state = 'Stopped'));
    // The daemon went away: QEMU keeps its rules (the fake too), and a new service adds them again.
    const store = new InstanceStore(join(t.store['path'], '..'));
    await store.load();
    const restarted = t.makeForwards(store);
    await restarted.activateAll();
    assert.deepEqual(driverForwards(t, 'web'), [`tcp:127.0.0.1:${port}`]);
    assert.deepEqual(
      (await restarted.list()).map((f) => `${f.instance}:${f.active}`),
      ['db:false', 'web:true'],
    );
    await restarted.close();
  } finally {
    await t.cleanup();
  }
});
