/**
 * @module Transfer progress: counts bytes on the hot path and reports at most every `intervalMs` (about 10/s),
 * with the rate over a sliding window and an ETA. Time is injected so tests step it.
 */
import type { DownloadProgress } from '../../services/vault/ports.js';

export interface ProgressMeterOptions {
  /** Bytes already there before this transfer (a resumed prefix): counted in `bytes`, not in the rate. */
  startBytes?: number;
  totalBytes: number | null;
  onProgress?: ((progress: DownloadProgress) => void) | undefined;
  /** Monotonic milliseconds; default performance.now. */
  now?: () => number;
  /** Least time between two reports; default 100 ms. */
  intervalMs?: number;
  /** The rate is measured over about this much recent time; default 3 s. */
  windowMs?: number;
}

interface Sample {
  atMs: number;
  bytes: number;
}

/** Counts transferred bytes and reports throttled progress. */
export class ProgressMeter {
  #bytes: number;
  #nextReportMs: number;
  readonly #total: number | null;
  readonly #onProgress: ((progress: DownloadProgress) => void) | undefined;
  readonly #now: () => number;
  readonly #intervalMs: number;
  readonly #windowMs: number;
  readonly #samples: Sample[];

  constructor(options: ProgressMeterOptions) {
    this.#bytes = options.startBytes ?? 0;
    this.#total = options.totalBytes;
    this.#onProgress = options.onProgress;
    this.#now = options.now ?? (() => performance.now());
    this.#intervalMs = options.intervalMs ?? 100;
    this.#windowMs = options.windowMs ?? 3000;
    const start = this.#now();
    this.#samples = [{ atMs: start, bytes: this.#bytes }];
    this.#nextReportMs = start + this.#intervalMs;
  }

  /** Bytes done so far, the resumed prefix included. */
  get bytes(): number {
    return this.#bytes;
  }

  /** Counts `n` more bytes; reports when the interval has passed. Cheap enough for every chunk. */
  add(n: number): void {
    this.#bytes += n;
    if (this.#onProgress === undefined) return;
    const now = this.#now();
    if (now >= this.#nextReportMs) {
      this.#nextReportMs = now + this.#intervalMs;
      this.#onProgress(this.#snapshot(now));
    }
  }

  /** Reports once more, unthrottled (at the end of a transfer, so the last report says 100%). */
  report(): void {
    this.#onProgress?.(this.#snapshot(this.#now()));
  }

  #snapshot(now: number): DownloadProgress {
    const samples = this.#samples;
    samples.push({ atMs: now, bytes: this.#bytes });
    // Keep one sample at or before the window's start so the rate always spans the whole window.
    while (samples.length > 2 && now - samples[1]!.atMs >= this.#windowMs) samples.shift();
    const oldest = samples[0]!;
    const seconds = (now - oldest.atMs) / 1000;
    const rate = seconds > 0 ? (this.#bytes - oldest.bytes) / seconds : 0;
    const left = this.#total === null ? null : Math.max(0, this.#total - this.#bytes);
    const etaS = left === null ? null : left === 0 ? 0 : rate > 0 ? Math.ceil(left / rate) : null;
    return { bytes: this.#bytes, totalBytes: this.#total, rateBytesPerS: Math.round(rate), etaS };
  }
}
