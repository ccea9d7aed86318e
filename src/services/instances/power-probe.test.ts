import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { VmPower } from '../../backends/vm.js';
import { FakeClock } from '../../testing/fake-clock.js';
import { PowerProbe } from './power-probe.js';

/** A probe the test answers by hand, counting how often it was asked. */
function manualProbe() {
  const pending: Array<(power: VmPower) => void> = [];
  return {
    pending,
    probe: (_dir: string) => new Promise<VmPower>((resolve) => pending.push(resolve)),
  };
}

test('concurrent readers share one probe', async () => {
  const clock = new FakeClock();
  const m = manualProbe();
  const power = new PowerProbe({ clock, probe: m.probe });
  const readers = Array.from({ length: 200 }, () => power.read('vm:1:4022', '/vms/vm'));
  assert.equal(m.pending.length, 1);
  m.pending[0]!('running');
  assert.ok((await Promise.all(readers)).every((p) => p === 'running'));
});

test('an answer is reused for 1 s from when its probe started, then asked again', async () => {
  const clock = new FakeClock();
  const m = manualProbe();
  const power = new PowerProbe({ clock, probe: m.probe });
  const first = power.read('vm:1:4022', '/vms/vm');
  await clock.advance(300);
  m.pending[0]!('running');
  assert.equal(await first, 'running');
  await clock.advance(699);
  assert.equal(await power.read('vm:1:4022', '/vms/vm'), 'running');
  assert.equal(m.pending.length, 1);
  await clock.advance(1);
  const again = power.read('vm:1:4022', '/vms/vm');
  assert.equal(m.pending.length, 2);
  m.pending[1]!('stopped');
  assert.equal(await again, 'stopped');
});

test('an answer about one boot is never given for another', async () => {
  const clock = new FakeClock();
  const m = manualProbe();
  const power = new PowerProbe({ clock, probe: m.probe });
  const old = power.read('vm:1:4022', '/vms/vm');
  m.pending[0]!('stopped');
  await old;
  const next = power.read('vm:1:5022', '/vms/vm');
  assert.equal(m.pending.length, 2);
  m.pending[1]!('running');
  assert.equal(await next, 'running');
});
