/**
 * @module HTTP GET over undici with proxies from the environment, per-phase timeouts, a size cap per request and
 * conditional requests. Every failure becomes a CatalogFetchError (code catalog-unavailable) naming the URL and the cause class.
 */
import type { Dispatcher } from 'undici';
import { EnvHttpProxyAgent, redirectInterceptor, request } from './undici-lite.js';
import { CatalogFetchError, FetchError } from '../../core/fetch-error.js';
import type { ConditionalGetOptions, GetResult, HttpGetter } from '../../services/catalog/ports.js';
import { classifyHttpStatus, classifyNetworkError } from './classify.js';

const MAX_REDIRECTIONS = 5;

export interface HttpGetterOptions {
  connectTimeoutMs?: number;
  headersTimeoutMs?: number;
  /** Longest silence between two body chunks. */
  bodyIdleTimeoutMs?: number;
  userAgent?: string;
}

/** The real HttpGetter. Honours HTTP_PROXY, HTTPS_PROXY and NO_PROXY in either case (undici's EnvHttpProxyAgent). */
export class UndiciHttpGetter implements HttpGetter {
  private dispatcher: Dispatcher;
  private readonly options: Required<HttpGetterOptions>;

  constructor(options: HttpGetterOptions = {}) {
    this.options = {
      connectTimeoutMs: options.connectTimeoutMs ?? 10_000,
      headersTimeoutMs: options.headersTimeoutMs ?? 15_000,
      bodyIdleTimeoutMs: options.bodyIdleTimeoutMs ?? 30_000,
      userAgent: options.userAgent ?? 'skiff',
    };
    this.dispatcher = this.newDispatcher();
  }

  async get(url: string, options: ConditionalGetOptions): Promise<GetResult> {
    const headers: Record<string, string> = { 'user-agent': this.options.userAgent };
    if (options.etag) headers['if-none-match'] = options.etag;
    if (options.lastModified) headers['if-modified-since'] = options.lastModified;
    let response: Dispatcher.ResponseData;
    try {
      response = await request(this.dispatcher, url, {
        headers,
        signal: options.signal,
        headersTimeout: this.options.headersTimeoutMs,
        bodyTimeout: this.options.bodyIdleTimeoutMs,
      });
    } catch (error) {
      throw networkFailure(url, error);
    }
    if (response.statusCode === 304) {
      await response.body.dump();
      return { notModified: true };
    }
    if (response.statusCode < 200 || response.statusCode >= 300) {
      await response.body.dump().catch(() => undefined);
      throw new CatalogFetchError({ ...classifyHttpStatus(response.statusCode), url });
    }
    const body = await this.readBody(url, response, options.maxBytes);
    return {
      notModified: false,
      body,
      etag: header(response, 'etag'),
      lastModified: header(response, 'last-modified'),
    };
  }

  resetConnections(): void {
    const old = this.dispatcher;
    this.dispatcher = this.newDispatcher();
    // destroy() rather than close(): a socket whose path died would make close() wait for it.
    old.destroy().catch(() => undefined);
  }

  /** Closes pooled connections; used at shutdown. */
  async close(): Promise<void> {
    await this.dispatcher.destroy().catch(() => undefined);
  }

  private newDispatcher(): Dispatcher {
    const agent = new EnvHttpProxyAgent({ connect: { timeout: this.options.connectTimeoutMs } });
    return agent.compose(redirectInterceptor({ maxRedirections: MAX_REDIRECTIONS }));
  }

  private async readBody(url: string, response: Dispatcher.ResponseData, maxBytes: number): Promise<Buffer> {
    const declared = Number(response.headers['content-length']);
    if (declared > maxBytes) {
      response.body.destroy();
      throw tooLarge(url, maxBytes, `it says ${declared} bytes`);
    }
    const chunks: Buffer[] = [];
    let total = 0;
    try {
      for await (const chunk of response.body) {
        total += (chunk as Buffer).length;
        if (total > maxBytes) {
          response.body.destroy();
          throw tooLarge(url, maxBytes, 'the transfer was stopped there');
        }
        chunks.push(chunk as Buffer);
      }
    } catch (error) {
      if (error instanceof FetchError) throw error;
      throw networkFailure(url, error);
    }
    return Buffer.concat(chunks, total);
  }
}

function networkFailure(url: string, error: unknown): CatalogFetchError {
  const { cause, message } = classifyNetworkError(error);
  return new CatalogFetchError({ cause, url, message }, { cause: error });
}

function tooLarge(url: string, maxBytes: number, detail: string): CatalogFetchError {
  const cap = maxBytes >= 2 ** 20 ? `${maxBytes / 2 ** 20} MiB` : `${maxBytes} bytes`;
  return new CatalogFetchError({
    cause: 'too-large',
    url,
    message: `too large: over the ${cap} cap (${detail})`,
  });
}

function header(response: Dispatcher.ResponseData, name: string): string | null {
  const value = response.headers[name];
  return typeof value === 'string' ? value : Array.isArray(value) ? (value[0] ?? null) : null;
}
