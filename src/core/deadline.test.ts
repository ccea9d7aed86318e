import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FakeClock } from '../testing/fake-clock.js';
import { deadlineSignal } from './deadline.js';

test('the deadline passes on the injected clock, with the TimeoutError AbortSignal.timeout gives', async () => {
  const clock = new FakeClock();
  const { signal } = deadlineSignal(clock, 60_000);
  await clock.advance(59_999);
  assert.equal(signal.aborted, false);
  await clock.advance(1);
  assert.equal(signal.aborted, true);
  assert.equal((signal.reason as DOMException).name, 'TimeoutError');
});

test('an outer abort aborts at once with its own reason', () => {
  const clock = new FakeClock();
  const outer = new AbortController();
  const { signal } = deadlineSignal(clock, 60_000, outer.signal);
  const reason = new Error('client left');
  outer.abort(reason);
  assert.equal(signal.aborted, true);
  assert.equal(signal.reason, reason);
});

test('an outer signal that was aborted already aborts the deadline from the start', () => {
  const outer = AbortSignal.abort(new Error('gone'));
  assert.equal(deadlineSignal(new FakeClock(), 1_000, outer).signal.aborted, true);
});

test('dispose cancels the timer and lets go of the outer signal', async () => {
  const clock = new FakeClock();
  const outer = new AbortController();
  const deadline = deadlineSignal(clock, 1_000, outer.signal);
  assert.deepEqual(clock.pendingDelays(), [1_000]);
  deadline.dispose();
  assert.deepEqual(clock.pendingDelays(), []);
  outer.abort();
  await clock.advance(2_000);
  assert.equal(deadline.signal.aborted, false);
});
