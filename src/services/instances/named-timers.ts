/**
 * @module One pending timer per name on the injected clock (delayed shutdowns): setting replaces, clearing
 * is idempotent.
 */
import type { Clock, TimerHandle } from '../../core/clock.js';

export class NamedTimers {
  private readonly timers = new Map<string, TimerHandle>();

  constructor(private readonly clock: Clock) {}

  /** Runs `fire` at `atMs` (or at once if past), replacing any timer of that name. */
  set(name: string, atMs: number, fire: () => void): void {
    this.clear(name);
    const delayMs = Math.max(0, atMs - this.clock.now());
    this.timers.set(
      name,
      this.clock.setTimeout(() => {
        this.timers.delete(name);
        fire();
      }, delayMs),
    );
  }

  clear(name: string): void {
    const timer = this.timers.get(name);
    if (timer) this.clock.clearTimeout(timer);
    this.timers.delete(name);
  }

  clearAll(): void {
    for (const name of [...this.timers.keys()]) this.clear(name);
  }
}
