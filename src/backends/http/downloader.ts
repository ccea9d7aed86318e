/**
 * @module The real Downloader: streams `http(s)://` images over undici (proxies from the environment via
 * EnvHttpProxyAgent, redirects followed, per-phase timeouts) and images clients upload into a partial file,
 * with sha256 computed inline and throttled progress; resumes with `Range` + `If-Range`. It never opens a
 * `file://` URL: the daemon runs as root and a path it is handed is not the caller's to read.
 * Plain `http://` with no proxy configured takes a raw-socket fast path (plain-http.ts) that hands anything
 * unusual back to undici. Decompression of `.xz`/`.gz` is a separate step (local-source.ts): the partial keeps
 * the downloaded (compressed) bytes, which is what a catalog checksum covers and what can be resumed.
 *
 * Two threads per transfer: this one receives and hashes, the WriterThread writes (writer-thread.ts), so a
 * download runs at about the speed of the slower of the two, not of their sum.
 */
import { stat } from 'node:fs/promises';
import type { Dispatcher } from 'undici';
import { EnvHttpProxyAgent, redirectInterceptor } from './undici-lite.js';
import { SkiffError } from '../../core/errors.js';
import { FetchError } from '../../core/fetch-error.js';
import type {
  Compression,
  DecompressRequest,
  DecompressResult,
  Downloader,
  ExpandedSize,
  FetchRequest,
  FetchResult,
  ReceiveRequest,
} from '../../services/vault/ports.js';
import { DownloadHandler, type HandlerOutcome } from './download-handler.js';
import { decompressFile, expandedSize, receiveUpload, type LocalOptions } from './local-source.js';
import { canUsePlainHttp, dispatchPlain } from './plain-http.js';
import { WriterThread } from './writer-thread.js';

export interface DownloaderOptions {
  connectTimeoutMs?: number;
  /** Longest wait for the response headers once the request is sent. */
  headersTimeoutMs?: number;
  /** Longest silence between two body chunks (not counted while the disk holds the transfer back). */
  bodyIdleTimeoutMs?: number;
  maxRedirections?: number;
  userAgent?: string;
  /** Least time between two progress reports; default 100 ms (about 10 a second). */
  progressIntervalMs?: number;
  /** Monotonic milliseconds for rates and throttling; default performance.now. */
  now?: () => number;
  /** The xz executable; default `xz` from PATH. */
  xzPath?: string;
  /**
   * Plain `http://` with no proxy configured goes over a raw socket (see plain-http.ts); default true.
   * False sends everything through undici.
   */
  plainHttp?: boolean;
  /** The thread that writes files; default a new WriterThread (tests pass one whose thread fails). */
  writer?: WriterThread;
}

/** Downloads into files with sha256 inline. One instance shares a connection pool across downloads. */
export class UndiciDownloader implements Downloader {
  #dispatcher: Dispatcher;
  readonly #options: Required<Omit<DownloaderOptions, 'now' | 'xzPath' | 'writer'>>;
  readonly #local: LocalOptions;
  readonly #now: (() => number) | undefined;
  readonly #writer: WriterThread;

  constructor(options: DownloaderOptions = {}) {
    this.#options = {
      connectTimeoutMs: options.connectTimeoutMs ?? 15_000,
      headersTimeoutMs: options.headersTimeoutMs ?? 30_000,
      bodyIdleTimeoutMs: options.bodyIdleTimeoutMs ?? 60_000,
      maxRedirections: options.maxRedirections ?? 5,
      userAgent: options.userAgent ?? 'skiff',
      progressIntervalMs: options.progressIntervalMs ?? 100,
      plainHttp: options.plainHttp ?? true,
    };
    this.#now = options.now;
    this.#writer = options.writer ?? new WriterThread();
    this.#local = {
      writer: this.#writer,
      now: options.now,
      progressIntervalMs: this.#options.progressIntervalMs,
      xzPath: options.xzPath,
    };
    this.#dispatcher = this.#newDispatcher();
  }

  /** @see Downloader.fetch */
  async fetch(request: FetchRequest): Promise<FetchResult> {
    try {
      return await this.#fetch(request);
    } finally {
      releaseTransferBuffers();
    }
  }

  async #fetch(request: FetchRequest): Promise<FetchResult> {
    request.signal?.throwIfAborted();
    let url: URL;
    try {
      url = new URL(request.url);
    } catch (error) {
      throw new SkiffError('invalid-argument', `not a URL: ${request.url}`, { cause: error });
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:')
      throw new SkiffError('invalid-argument', `unsupported URL scheme ${url.protocol} in ${request.url}`);
    const first = await this.#attempt(url, request, request.resume ? await sizeOf(request.dest) : 0);
    if (!first.restart) return first.result;
    // The server could not continue where we stopped: one more request from zero, which cannot restart again.
    const second = await this.#attempt(url, request, 0);
    if (second.restart) throw new Error('unreachable: a request without Range asked to restart');
    return second.result;
  }

  /** @see Downloader.receive */
  async receive(request: ReceiveRequest): Promise<{ sha256: string; sizeBytes: number }> {
    request.signal?.throwIfAborted();
    try {
      return await receiveUpload(request, this.#local);
    } finally {
      releaseTransferBuffers();
    }
  }

  /** @see Downloader.decompress */
  decompress(request: DecompressRequest): Promise<DecompressResult> {
    request.signal?.throwIfAborted();
    return decompressFile(request, this.#local);
  }

  /** @see Downloader.expandedSize */
  expandedSize(src: string, format: Compression): Promise<ExpandedSize> {
    return expandedSize(src, format, this.#local.xzPath);
  }

  /** Drops pooled connections (e.g. after a network change, when their path may be dead). */
  resetConnections(): void {
    const old = this.#dispatcher;
    this.#dispatcher = this.#newDispatcher();
    old.destroy().catch(() => undefined);
  }

  /** Closes pooled connections and stops the writer thread; used at shutdown. */
  async close(): Promise<void> {
    await this.#dispatcher.destroy().catch(() => undefined);
    await this.#writer.close();
  }

  async #attempt(url: URL, request: FetchRequest, offset: number): Promise<HandlerOutcome> {
    const headers: Record<string, string> = {
      'user-agent': this.#options.userAgent,
      // Byte ranges and checksums refer to the stored representation, never a re-encoded one.
      'accept-encoding': 'identity',
    };
    if (offset > 0 && request.resume) {
      headers.range = `bytes=${offset}-`;
      headers['if-range'] = request.resume.ifRange;
    }
    const options = {
      request,
      offset: headers.range === undefined ? 0 : offset,
      writer: this.#writer,
      now: this.#now,
      progressIntervalMs: this.#options.progressIntervalMs,
    };
    if (this.#options.plainHttp && canUsePlainHttp(url, headers)) {
      const handler = new DownloadHandler({ ...options, transientChunks: true });
      const route = await dispatchPlain({ url, headers, ...this.#timeouts() }, handler);
      if (route === 'done') return handler.promise;
      handler.discard();
    }
    const dispatch = (): DownloadHandler => {
      const handler = new DownloadHandler(options);
      this.#dispatcher.dispatch(
        {
          origin: url.origin,
          path: `${url.pathname}${url.search}`,
          method: 'GET',
          headers,
          headersTimeout: this.#options.headersTimeoutMs,
          bodyTimeout: this.#options.bodyIdleTimeoutMs,
        },
        handler,
      );
      return handler;
    };
    const handler = dispatch();
    try {
      return await handler.promise;
    } catch (error) {
      // A pooled keep-alive connection the server closed while idle fails the next request on it with a
      // reset before any answer (a race HTTP/1.1 allows, RFC 9112 9.3.1). The GET is idempotent and nothing
      // was written: send it once more, which takes a fresh connection.
      if (handler.responded || !isReset(error) || request.signal?.aborted) throw error;
      return dispatch().promise;
    }
  }

  #timeouts() {
    const { connectTimeoutMs, headersTimeoutMs, bodyIdleTimeoutMs } = this.#options;
    return { connectTimeoutMs, headersTimeoutMs, bodyIdleTimeoutMs };
  }

  #newDispatcher(): Dispatcher {
    const agent = new EnvHttpProxyAgent({ connect: { timeout: this.#options.connectTimeoutMs } });
    return agent.compose(redirectInterceptor({ maxRedirections: this.#options.maxRedirections }));
  }
}

const isReset = (error: unknown): boolean => error instanceof FetchError && error.failure.cause === 'reset';

async function sizeOf(path: string): Promise<number> {
  try {
    return (await stat(path)).size;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return 0;
    throw error;
  }
}

/**
 * A download moves its data through ~32 MB of transfer buffers. Once it ends they are garbage, but an idle
 * daemon allocates nothing, so V8 may not collect them for hours and they stay resident. skiffd runs with
 * --expose-gc (bin/skiffd) so that a download can end with one collection; elsewhere this does nothing.
 */
function releaseTransferBuffers(): void {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (gc) setTimeout(gc, 1000).unref();
}
