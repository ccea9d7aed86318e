/**
 * @module Deadlines on the injected clock: what `AbortSignal.timeout` does, but timed by a Clock, so a test's
 * fake clock decides when a deadline passes.
 */
import type { Clock } from './clock.js';

export interface Deadline {
  readonly signal: AbortSignal;
  /** Cancels the timer and lets go of the outer signal; call it once the guarded work is over. */
  dispose(): void;
}

/**
 * A signal that aborts `timeoutMs` after now on `clock` with a `TimeoutError` DOMException (the reason
 * `AbortSignal.timeout` gives), or as soon as `outer` aborts, with its reason.
 * @example
 * const deadline = deadlineSignal(clock, 60_000, request.signal);
 * try { await work(deadline.signal); } finally { deadline.dispose(); }
 */
export function deadlineSignal(clock: Clock, timeoutMs: number, outer?: AbortSignal): Deadline {
  const controller = new AbortController();
  const onAbort = () => controller.abort(outer?.reason);
  const timer = clock.setTimeout(
    () => controller.abort(new DOMException('The operation was aborted due to timeout', 'TimeoutError')),
    timeoutMs,
  );
  if (outer?.aborted) onAbort();
  else outer?.addEventListener('abort', onAbort, { once: true });
  return {
    signal: controller.signal,
    dispose: () => {
      clock.clearTimeout(timer);
      outer?.removeEventListener('abort', onAbort);
    },
  };
}
