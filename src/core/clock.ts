/**
 * @module Time as an injected dependency, so schedules can be tested with a fake clock.
 */

export type TimerHandle = { readonly __timer: unique symbol } | object;

/** Wall-clock time and timers. The real one wraps Date.now/setTimeout; tests use a FakeClock. */
export interface Clock {
  /** Milliseconds since the epoch. */
  now(): number;
  setTimeout(callback: () => void, delayMs: number): TimerHandle;
  clearTimeout(handle: TimerHandle): void;
}

/** A source of uniform random numbers in [0, 1). Injected so jitter is testable. */
export type Random = () => number;

/** The real clock. Timers are unref'd: a pending retry never keeps a process alive on its own. */
export const systemClock: Clock = {
  now: () => Date.now(),
  setTimeout: (callback, delayMs) => {
    const handle = setTimeout(callback, delayMs);
    handle.unref();
    return handle;
  },
  clearTimeout: (handle) => clearTimeout(handle as NodeJS.Timeout),
};
