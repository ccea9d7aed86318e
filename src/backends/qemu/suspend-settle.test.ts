import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SUSPEND_SNAPSHOT } from './args.js';
import { hasFreshSuspendSnapshot, settleAction } from './suspend-settle.js';

const block = (snapshots: unknown[]) => ({
  device: '',
  inserted: { file: 'disk.qcow2', image: { snapshots } },
});
const snap = (over: Record<string, unknown> = {}) => ({
  id: '1',
  name: SUSPEND_SNAPSHOT,
  'vm-state-size': 123456,
  'date-sec': 2000,
  'date-nsec': 0,
  ...over,
});

test('a snapshot with RAM state taken by this QEMU process is fresh', () => {
  const seed = { device: '', inserted: { file: 'seed.iso', image: {} } };
  assert.equal(hasFreshSuspendSnapshot([seed, block([snap()])], 2000), true);
  assert.equal(hasFreshSuspendSnapshot([block([snap({ 'date-sec': 2500 })])], 2000), true);
});

test('stale, RAM-less, foreign-named or missing snapshots are not', () => {
  assert.equal(hasFreshSuspendSnapshot([block([snap({ 'date-sec': 1999 })])], 2000), false, 'before start');
  assert.equal(hasFreshSuspendSnapshot([block([snap({ 'vm-state-size': 0 })])], 2000), false);
  assert.equal(hasFreshSuspendSnapshot([block([snap({ name: 'other' })])], 2000), false);
  assert.equal(hasFreshSuspendSnapshot([block([])], 2000), false);
  assert.equal(hasFreshSuspendSnapshot([{ device: 'x' }], 2000), false, 'no medium');
  assert.equal(hasFreshSuspendSnapshot({ error: 'x' }, 2000), false);
});

test('finish a completed save, resume a paused guest without one, leave a running guest alone', () => {
  assert.equal(settleAction('paused', true), 'finish');
  assert.equal(settleAction('save-vm', true), 'finish');
  assert.equal(settleAction('paused', false), 'resume');
  assert.equal(settleAction('save-vm', false), 'resume');
  assert.equal(settleAction('running', true), 'none');
  assert.equal(settleAction('running', false), 'none');
});
