/**
 * @module Pure retry maths: how long to wait before the n-th retry. The loop that sleeps lives elsewhere.
 */
import type { Random } from './clock.js';

export interface BackoffPolicy {
  /** Delay before the first retry, before jitter. */
  initialMs: number;
  /** Multiplier per further failure (1 = fixed interval). */
  factor: number;
  /** No delay ever exceeds this, jitter included. */
  maxMs: number;
  /** Fraction of spread around the base delay: 0.2 means the delay lies in [0.8, 1.2] x base. */
  jitter: number;
}

/** skiff's catalog policy: about 5 s, doubling, capped at 15 min, +-20 % jitter. */
export const CATALOG_BACKOFF: BackoffPolicy = {
  initialMs: 5_000,
  factor: 2,
  maxMs: 15 * 60_000,
  jitter: 0.2,
};

/**
 * Delay before retry number `failures` (1 = after the first failure).
 * @throws RangeError when `failures` < 1 or the policy is not sane.
 */
export function backoffDelayMs(failures: number, policy: BackoffPolicy, random: Random): number {
  if (!Number.isInteger(failures) || failures < 1)
    throw new RangeError(`failures must be an integer >= 1, got ${failures}`);
  checkPolicy(policy);
  // Cap the exponent so huge failure counts cannot overflow to Infinity before the min().
  const exponent = Math.min(failures - 1, 64);
  const base = Math.min(policy.maxMs, policy.initialMs * policy.factor ** exponent);
  const spread = base * policy.jitter * (2 * random() - 1);
  return Math.round(Math.max(0, Math.min(policy.maxMs, base + spread)));
}

function checkPolicy(policy: BackoffPolicy): void {
  const { initialMs, factor, maxMs, jitter } = policy;
  if (!(initialMs > 0)) throw new RangeError(`initialMs must be > 0, got ${initialMs}`);
  if (!(factor >= 1)) throw new RangeError(`factor must be >= 1, got ${factor}`);
  if (!(maxMs >= initialMs)) throw new RangeError(`maxMs must be >= initialMs, got ${maxMs}`);
  if (!(jitter >= 0 && jitter < 1)) throw new RangeError(`jitter must be in [0, 1), got ${jitter}`);
}
