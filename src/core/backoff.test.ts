import { test } from 'node:test';
import assert from 'node:assert/strict';
import { backoffDelayMs, CATALOG_BACKOFF, type BackoffPolicy } from './backoff.js';

const noJitter: BackoffPolicy = { ...CATALOG_BACKOFF, jitter: 0 };

test('catalog schedule starts at 5 s, doubles, and caps at 15 min', () => {
  const delays = Array.from({ length: 12 }, (_, i) => backoffDelayMs(i + 1, noJitter, () => 0.5));
  assert.deepEqual(
    delays,
    [5_000, 10_000, 20_000, 40_000, 80_000, 160_000, 320_000, 640_000, 900_000, 900_000, 900_000, 900_000],
  );
});

test('jitter stays within +-20 % of the base delay and below the cap', () => {
  for (let failures = 1; failures <= 20; failures++) {
    const low = backoffDelayMs(failures, CATALOG_BACKOFF, () => 0);
    const high = backoffDelayMs(failures, CATALOG_BACKOFF, () => 0.999999);
    const base = backoffDelayMs(failures, noJitter, () => 0);
    assert.ok(low >= base * 0.8 - 1, `low ${low} for base ${base}`);
    assert.ok(high <= Math.min(base * 1.2 + 1, CATALOG_BACKOFF.maxMs), `high ${high} for base ${base}`);
    assert.ok(high <= CATALOG_BACKOFF.maxMs);
  }
  assert.equal(
    backoffDelayMs(1, CATALOG_BACKOFF, () => 0),
    4_000,
  );
  assert.equal(
    backoffDelayMs(1, CATALOG_BACKOFF, () => 0.75),
    5_500,
  );
});

test('jitter actually spreads delays (no lock-step retries)', () => {
  let seed = 1;
  const random = () => (seed = (seed * 16807) % 2147483647) / 2147483647;
  const delays = new Set(Array.from({ length: 50 }, () => backoffDelayMs(2, CATALOG_BACKOFF, random)));
  assert.ok(delays.size > 40);
});

test('a fixed interval policy (factor 1) never grows', () => {
  const fixed: BackoffPolicy = { initialMs: 900_000, factor: 1, maxMs: 900_000, jitter: 0 };
  assert.equal(backoffDelayMs(1, fixed, Math.random), 900_000);
  assert.equal(backoffDelayMs(30, fixed, Math.random), 900_000);
});

test('huge failure counts do not overflow', () => {
  assert.equal(
    backoffDelayMs(10_000, noJitter, () => 0.5),
    900_000,
  );
});

test('bad arguments are rejected with the name of the option', () => {
  assert.throws(() => backoffDelayMs(0, CATALOG_BACKOFF, Math.random), /failures/);
  assert.throws(() => backoffDelayMs(1, { ...CATALOG_BACKOFF, factor: 0.5 }, Math.random), /factor/);
  assert.throws(() => backoffDelayMs(1, { ...CATALOG_BACKOFF, jitter: 1 }, Math.random), /jitter/);
  assert.throws(() => backoffDelayMs(1, { ...CATALOG_BACKOFF, maxMs: 1 }, Math.random), /maxMs/);
});
