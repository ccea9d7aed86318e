import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AttemptLimiter } from './attempt-limiter.js';

test('each failure doubles the wait of that client alone, up to the cap; success forgets', () => {
  let now = 1_000;
  const limiter = new AttemptLimiter(() => now, { initialMs: 5_000, factor: 2, maxMs: 30_000 });
  assert.equal(limiter.waitMs('a'), 0);
  assert.equal(limiter.failed('a'), 5_000);
  assert.equal(limiter.waitMs('a'), 5_000);
  assert.equal(limiter.waitMs('b'), 0, 'another client is not slowed');
  now += 2_000;
  assert.equal(limiter.waitMs('a'), 3_000);
  now += 3_000;
  assert.equal(limiter.waitMs('a'), 0);
  assert.equal(limiter.failed('a'), 10_000);
  assert.equal(limiter.failed('a'), 20_000);
  assert.equal(limiter.failed('a'), 30_000);
  assert.equal(limiter.failed('a'), 30_000, 'capped');
  limiter.succeeded('a');
  assert.equal(limiter.waitMs('a'), 0);
  assert.equal(limiter.failed('a'), 5_000, 'starts over after a success');
});
