import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { VmPower } from './ports.js';
import { FakeClock, settle } from '../../testing/fake-clock.js';
import { PowerProbe } from './power-probe.js';

/** A probe the test answers by hand. */
function setup() {
  const clock = new FakeClock();
  const pending: Array<(power: VmPower) => void> = [];
  const power = new PowerProbe({
    clock,
    probe: () => new Promise<VmPower>((resolve) => pending.push(resolve)),
  });
  return { clock, pending, power };
}

/** The value of `promise` if it settles without time passing, else 'waiting'. */
async function immediately<T>(promise: Promise<T>): Promise<T | 'waiting'> {
  return Promise.race([promise, settle().then(() => 'waiting' as const)]);
}

const KEY = 'vm:1:4022';

/** Reads once and answers the probe with `power`. */
async function known(t: ReturnType<typeof setup>, power: VmPower): Promise<void> {
  const read = t.power.read(KEY, '/vms/vm');
  t.pending.at(-1)!(power);
  await read;
}

test('concurrent readers share one probe', async () => {
  const t = setup();
  const readers = Array.from({ length: 200 }, () => t.power.read(KEY, '/vms/vm'));
  assert.equal(t.pending.length, 1);
  t.pending[0]!('running');
  assert.ok((await Promise.all(readers)).every((p) => p === 'running'));
});

test('an answer is served as is for 1 s, then at once while a new probe runs', async () => {
  const t = setup();
  await known(t, 'running');
  await t.clock.advance(999);
  assert.equal(await immediately(t.power.read(KEY, '/vms/vm')), 'running');
  assert.equal(t.pending.length, 1);

  await t.clock.advance(1);
  // The guest was paused meanwhile: the old answer comes at once, the renewal brings the news.
  assert.equal(await immediately(t.power.read(KEY, '/vms/vm')), 'running');
  assert.equal(await immediately(t.power.read(KEY, '/vms/vm')), 'running');
  assert.equal(t.pending.length, 2);
  t.pending[1]!('paused');
  await settle();
  assert.equal(await immediately(t.power.read(KEY, '/vms/vm')), 'paused');
});

test('an answer 2 s old is never served: readers wait for the probe', async () => {
  const t = setup();
  await known(t, 'running');
  await t.clock.advance(2_000);
  const read = t.power.read(KEY, '/vms/vm');
  assert.equal(await immediately(read), 'waiting');
  t.pending[1]!('stopped');
  assert.equal(await read, 'stopped');
});

test('an answer about one boot is never given for another', async () => {
  const t = setup();
  await known(t, 'stopped');
  const next = t.power.read('vm:1:5022', '/vms/vm');
  assert.equal(t.pending.length, 2);
  t.pending[1]!('running');
  assert.equal(await next, 'running');
});
