/**
 * @module A scripted HttpGetter for unit tests: each URL answers from a queue of responses or failures.
 */
import { CatalogFetchError, type FailureCause } from '../core/fetch-error.js';
import type {
  ConditionalGetOptions,
  GetResult,
  HttpGetter,
  SnapshotStore,
} from '../services/catalog/ports.js';
import type { CatalogSnapshot } from '../services/catalog/types.js';

export type FakeAnswer =
  | { body: string; etag?: string }
  | { notModified: true }
  | { fail: FailureCause; message?: string }
  /** Never answers until the request's signal aborts. */
  | { hang: true };

export class FakeHttp implements HttpGetter {
  readonly calls: Array<{ url: string; etag: string | null }> = [];
  resets = 0;
  private readonly answers = new Map<string, FakeAnswer[]>();
  private readonly fallback = new Map<string, FakeAnswer>();

  /** Answers for `url`, used in order; the last one repeats. */
  on(url: string, ...answers: FakeAnswer[]): this {
    this.answers.set(url, [...answers]);
    this.fallback.delete(url);
    return this;
  }

  async get(url: string, options: ConditionalGetOptions): Promise<GetResult> {
    this.calls.push({ url, etag: options.etag ?? null });
    const queue = this.answers.get(url);
    const answer = queue && queue.length > 1 ? queue.shift()! : (queue?.[0] ?? this.fallback.get(url));
    if (queue && queue.length === 1) this.fallback.set(url, queue[0]!);
    if (!answer) throw new CatalogFetchError({ cause: 'http-404', url, message: 'server answered HTTP 404' });
    if ('hang' in answer) {
      await new Promise((_, reject) =>
        options.signal.addEventListener('abort', () => reject(options.signal.reason)),
      );
    }
    if ('fail' in answer)
      throw new CatalogFetchError({ cause: answer.fail, url, message: answer.message ?? answer.fail });
    if ('notModified' in answer) return { notModified: true };
    if (!('body' in answer)) throw new Error('unreachable');
    return {
      notModified: false,
      body: Buffer.from(answer.body),
      etag: answer.etag ?? null,
      lastModified: null,
    };
  }

  resetConnections(): void {
    this.resets += 1;
  }
}

/** An in-memory SnapshotStore: no I/O, so fake-clock tests stay deterministic. */
export class MemoryStore implements SnapshotStore {
  readonly saved = new Map<string, CatalogSnapshot>();
  async load(remote: string, url: string): Promise<CatalogSnapshot | null> {
    return this.saved.get(`${remote} ${url}`) ?? null;
  }
  async save(snapshot: CatalogSnapshot): Promise<void> {
    this.saved.set(`${snapshot.remote} ${snapshot.url}`, structuredClone(snapshot));
  }
}
