/**
 * @module One HTTP download as an undici dispatch handler: decides resume/start-over from the status, streams
 * the body into a HashingFileSink with backpressure (pausing the socket, not buffering), and settles once.
 */
import type { Dispatcher } from 'undici';
import type { IncomingHttpHeaders } from 'node:http';
import { DownloadError, FetchError } from '../../core/fetch-error.js';
import type { FetchRequest, FetchResult, FetchStart } from '../../services/vault/ports.js';
import { classifyHttpStatus, classifyNetworkError } from './classify.js';
import { HashingFileSink } from './hashing-sink.js';
import { ProgressMeter } from './progress-meter.js';
import type { WriterThread } from './writer-thread.js';

/** How a response relates to the bytes already in the partial file. */
export type Plan =
  | { kind: 'fresh'; totalBytes: number | null }
  | { kind: 'append'; totalBytes: number | null }
  /** The partial already holds the whole resource (416 naming exactly its size). */
  | { kind: 'complete'; totalBytes: number }
  /** The server cannot continue from our offset (bad Content-Range or 416): ask again from zero. */
  | { kind: 'restart' }
  | { kind: 'fail'; status: number };

/** What to do with a response, from its status and headers. Pure. */
export function planResponse(status: number, headers: IncomingHttpHeaders, offset: number): Plan {
  const range = /^bytes (\d+)-(\d+)\/(\d+|\*)$/.exec(header(headers, 'content-range') ?? '');
  if (status === 206) {
    if (offset === 0 || range === null || Number(range[1]) !== offset) return { kind: 'restart' };
    return { kind: 'append', totalBytes: range[3] === '*' ? null : Number(range[3]) };
  }
  if (status === 416 && offset > 0) {
    const total = /^bytes \*\/(\d+)$/.exec(header(headers, 'content-range') ?? '')?.[1];
    return total !== undefined && Number(total) === offset
      ? { kind: 'complete', totalBytes: offset }
      : { kind: 'restart' };
  }
  if (status >= 200 && status < 300) {
    const length = Number(header(headers, 'content-length') ?? NaN);
    return { kind: 'fresh', totalBytes: Number.isSafeInteger(length) && length >= 0 ? length : null };
  }
  return { kind: 'fail', status };
}

/** Reads one header as a string (the first value when repeated). */
export function header(headers: IncomingHttpHeaders, name: string): string | null {
  const value = headers[name];
  return typeof value === 'string' ? value : Array.isArray(value) ? (value[0] ?? null) : null;
}

export type HandlerOutcome = { restart: true } | { restart: false; result: FetchResult };

export interface HandlerOptions {
  request: FetchRequest;
  /** Bytes of the partial file the request asked to continue after (0: no Range sent). */
  offset: number;
  writer: WriterThread;
  /** Chunks live in a buffer the producer reuses: copy what is kept past the call. */
  transientChunks?: boolean;
  now?: (() => number) | undefined;
  progressIntervalMs?: number;
}

/** Dispatch handler for one attempt; `promise` settles once with the outcome or a classified error. */
export class DownloadHandler implements Dispatcher.DispatchHandler {
  readonly promise: Promise<HandlerOutcome>;
  #resolve!: (outcome: HandlerOutcome) => void;
  #reject!: (error: unknown) => void;
  #settled = false;
  #controller: Dispatcher.DispatchController | null = null;
  #sink: HashingFileSink | null = null;
  #meter: ProgressMeter | null = null;
  #early: Buffer[] = [];
  #ended = false;
  #received = 0;
  #plan: Plan | null = null;
  #validators: { etag: string | null; lastModified: string | null } = { etag: null, lastModified: null };
  #failure: unknown = null;
  /** The failure came from our side (file system, the caller's onStart), not the network: thrown as is. */
  #localFailure = false;
  #completing = false;
  readonly #options: HandlerOptions;
  readonly #onAbort = (): void => this.#fail(this.#options.request.signal?.reason ?? new Error('aborted'));

  constructor(options: HandlerOptions) {
    this.#options = options;
    this.promise = new Promise((resolve, reject) => {
      this.#resolve = resolve;
      this.#reject = reject;
    });
    options.request.signal?.addEventListener('abort', this.#onAbort, { once: true });
  }

  /** True once a response (status and headers) arrived: a failure after that is not a dead connection. */
  get responded(): boolean {
    return this.#plan !== null;
  }

  /** Forgets a handler that will get no response (its request went another way); its promise never settles. */
  discard(): void {
    this.#settled = true;
    this.#options.request.signal?.removeEventListener('abort', this.#onAbort);
  }

  onRequestStart(controller: Dispatcher.DispatchController): void {
    this.#controller = controller;
    if (this.#failure !== null) controller.abort(asError(this.#failure));
  }

  onResponseStart(
    controller: Dispatcher.DispatchController,
    status: number,
    headers: IncomingHttpHeaders,
  ): void {
    const plan = planResponse(status, headers, this.#options.offset);
    this.#plan = plan;
    if (plan.kind === 'fail') {
      this.#fail(new DownloadError({ ...classifyHttpStatus(status), url: this.#options.request.url }));
      return;
    }
    if (plan.kind === 'restart') {
      this.#settle({ restart: true });
      controller.abort(new Error('restarting from zero'));
      return;
    }
    const { maxBytes } = this.#options.request;
    if (maxBytes != null && plan.totalBytes !== null && plan.totalBytes > maxBytes) {
      this.#fail(this.#tooLarge(`the server announces ${plan.totalBytes} bytes`));
      return;
    }
    const etag = header(headers, 'etag');
    // If-Range needs a strong validator; a weak ETag cannot resume, Last-Modified still can.
    this.#validators = {
      etag: etag !== null && !etag.startsWith('W/') ? etag : null,
      lastModified: header(headers, 'last-modified'),
    };
    // Hold the socket while the file is opened (and a resumed prefix hashed) and the caller records the start.
    controller.pause();
    void this.#open(plan).then(
      () => this.#afterOpen(),
      (error: unknown) => this.#fail(error, true),
    );
  }

  onResponseData(controller: Dispatcher.DispatchController, chunk: Buffer): void {
    // A 416's body is an error text, not image bytes.
    if (this.#settled || this.#plan?.kind === 'complete') return;
    if (this.#sink === null) {
      this.#early.push(this.#options.transientChunks ? Buffer.from(chunk) : chunk);
      return;
    }
    this.#write(controller, chunk);
  }

  onResponseEnd(): void {
    this.#ended = true;
    if (this.#sink !== null) void this.#complete();
  }

  onResponseError(_controller: Dispatcher.DispatchController, error: Error): void {
    this.#fail(this.#failure ?? error);
  }

  async #open(plan: Exclude<Plan, { kind: 'fail' | 'restart' }>): Promise<void> {
    const { request, offset } = this.#options;
    const append = plan.kind !== 'fresh';
    const sink = await HashingFileSink.open(
      request.dest,
      append ? 'append' : 'truncate',
      this.#options.writer,
    );
    if (this.#settled) return void (await sink.abort());
    const start: FetchStart = {
      ...this.#validators,
      totalBytes: plan.totalBytes,
      resumedFromBytes: append ? offset : 0,
    };
    try {
      await request.onStart?.(start);
    } catch (error) {
      await sink.abort();
      throw error;
    }
    if (this.#settled) return void (await sink.abort());
    this.#meter = new ProgressMeter({
      startBytes: sink.bytes,
      totalBytes: plan.totalBytes,
      onProgress: request.onProgress,
      now: this.#options.now,
      intervalMs: this.#options.progressIntervalMs,
    });
    this.#sink = sink;
  }

  #afterOpen(): void {
    const controller = this.#controller;
    if (this.#settled || controller === null) return;
    const early = this.#plan?.kind === 'complete' ? [] : this.#early;
    this.#early = [];
    for (const chunk of early) this.#write(controller, chunk);
    if (this.#plan?.kind === 'complete' || this.#ended) void this.#complete();
    // Resume also after `complete`: the 416's short body is drained and ignored, keeping the connection.
    if (!this.#ended && controller.paused) controller.resume();
  }

  #write(controller: Dispatcher.DispatchController, chunk: Buffer): void {
    const sink = this.#sink!;
    const { maxBytes } = this.#options.request;
    if (maxBytes != null && sink.bytes + chunk.length > maxBytes) {
      return this.#fail(this.#tooLarge(`the transfer was cut there`));
    }
    this.#received += chunk.length;
    this.#meter!.add(chunk.length);
    let more: boolean;
    try {
      more = sink.write(chunk, this.#options.transientChunks);
    } catch (error) {
      return this.#fail(error, true);
    }
    if (!more && !controller.paused) {
      controller.pause();
      sink.drained().then(
        () => !this.#settled && controller.resume(),
        (error: unknown) => this.#fail(error, true),
      );
    }
  }

  async #complete(): Promise<void> {
    if (this.#completing || this.#settled) return;
    this.#completing = true;
    const sink = this.#sink!;
    const plan = this.#plan!;
    const total = plan.kind === 'fail' || plan.kind === 'restart' ? null : plan.totalBytes;
    if (total !== null && sink.bytes !== total) {
      const message = `download interrupted after ${sink.bytes} of ${total} bytes: the body ended early`;
      return this.#fail(new DownloadError({ cause: 'reset', url: this.#options.request.url, message }));
    }
    try {
      const { sha256, sizeBytes } = await sink.finish();
      this.#meter!.report();
      this.#settle({
        restart: false,
        result: {
          sha256,
          sizeBytes,
          resumedFromBytes: plan.kind === 'fresh' ? 0 : this.#options.offset,
          transferredBytes: this.#received,
          ...this.#validators,
        },
      });
    } catch (error) {
      this.#fail(error, true);
    }
  }

  #fail(error: unknown, local = false): void {
    if (this.#settled) return;
    this.#failure ??= error;
    this.#localFailure = local;
    this.#settled = true;
    this.#options.request.signal?.removeEventListener('abort', this.#onAbort);
    if (this.#controller !== null && !this.#controller.aborted) this.#controller.abort(asError(error));
    // Reject only after the file is closed, so the caller sees a partial that no write will still change.
    const sink = this.#sink;
    const stop = sink === null ? Promise.resolve() : local ? sink.abort() : sink.close();
    void stop.then(() => this.#reject(this.#describe(error)));
  }

  /** The body is longer than the size the caller was told (a catalog's `size`): never written past it. */
  #tooLarge(detail: string): DownloadError {
    const { url, maxBytes } = this.#options.request;
    const message = `too large: the image is stated to have ${maxBytes} bytes, but ${detail}`;
    return new DownloadError({ cause: 'too-large', url, message });
  }

  #settle(outcome: HandlerOutcome): void {
    if (this.#settled) return;
    this.#settled = true;
    this.#options.request.signal?.removeEventListener('abort', this.#onAbort);
    this.#resolve(outcome);
  }

  /** The error to throw: ours as is, the abort reason as is, a network error classified and naming the URL. */
  #describe(error: unknown): unknown {
    const { request } = this.#options;
    if (request.signal?.aborted && error === request.signal.reason) return error;
    if (error instanceof FetchError || this.#localFailure) return error;
    const { cause, message } = classifyNetworkError(error);
    const total =
      this.#plan?.kind === 'fresh' || this.#plan?.kind === 'append' ? this.#plan.totalBytes : null;
    const what =
      this.#sink === null
        ? 'cannot download'
        : `download interrupted after ${this.#sink.bytes} of ${total ?? '?'} bytes`;
    return new DownloadError({ cause, url: request.url, message: `${what}: ${message}` }, { cause: error });
  }
}

function asError(error: unknown): Error {
  return error instanceof Error ? error : new Error(String(error));
}
