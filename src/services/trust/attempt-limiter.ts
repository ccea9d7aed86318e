/**
 * @module Backoff for wrong passphrases, per client: each failure doubles the time before that client may try
 * again; a success forgets it. Pure apart from the injected clock.
 */

export interface AttemptPolicy {
  /** Wait after the first wrong passphrase. */
  initialMs: number;
  factor: number;
  maxMs: number;
}

export const DEFAULT_ATTEMPT_POLICY: AttemptPolicy = { initialMs: 5_000, factor: 2, maxMs: 15 * 60_000 };

/** Clients remembered at most; past it, those whose wait is over are forgotten first. */
const MAX_CLIENTS = 4096;

interface Record {
  failures: number;
  untilMs: number;
}

export class AttemptLimiter {
  private readonly clients = new Map<string, Record>();

  constructor(
    private readonly now: () => number,
    private readonly policy: AttemptPolicy = DEFAULT_ATTEMPT_POLICY,
  ) {}

  /** How long `client` must wait before its next attempt; 0 when it may try now. */
  waitMs(client: string): number {
    const record = this.clients.get(client);
    return record === undefined ? 0 : Math.max(0, record.untilMs - this.now());
  }

  /** A wrong passphrase from `client`. @returns the wait it now has */
  failed(client: string): number {
    const failures = (this.clients.get(client)?.failures ?? 0) + 1;
    const delayMs = Math.min(this.policy.maxMs, this.policy.initialMs * this.policy.factor ** (failures - 1));
    this.clients.delete(client);
    this.clients.set(client, { failures, untilMs: this.now() + delayMs });
    this.trim();
    return delayMs;
  }

  /** `client` gave the right passphrase: its failures are forgotten. */
  succeeded(client: string): void {
    this.clients.delete(client);
  }

  private trim(): void {
    if (this.clients.size <= MAX_CLIENTS) return;
    const now = this.now();
    for (const [client, record] of this.clients) if (record.untilMs <= now) this.clients.delete(client);
    // Still too many waiting: drop the oldest (Map keeps insertion order; failed() re-inserts).
    for (const client of this.clients.keys()) {
      if (this.clients.size <= MAX_CLIENTS) break;
      this.clients.delete(client);
    }
  }
}
