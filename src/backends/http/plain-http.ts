/**
 * @module The fast path for plain `http://` downloads with no proxy configured (local and LAN mirrors): one GET
 * on a raw socket that reads into a single reused buffer (node's `onread`), so a transfer allocates nothing per
 * read. undici allocates a buffer per socket read and parses in WebAssembly, which costs as much CPU as the
 * sha256 at loopback speed. The response drives the same DownloadHandler undici would; anything this path
 * does not handle itself (a redirect, a body without Content-Length or chunked) goes back to undici untouched.
 */
import type { IncomingHttpHeaders } from 'node:http';
import { connect, type Socket } from 'node:net';
import type { Dispatcher } from 'undici';

/** One socket read at most; reused for every read. */
const READ_BYTES = 1024 * 1024;
const MAX_HEAD_BYTES = 64 * 1024;

export interface PlainRequest {
  url: URL;
  headers: Record<string, string>;
  connectTimeoutMs: number;
  headersTimeoutMs: number;
  bodyIdleTimeoutMs: number;
}

/** True when `url` may take the fast path: plain http, no proxy in the environment, safe header values. */
export function canUsePlainHttp(url: URL, headers: Record<string, string>, env = process.env): boolean {
  if (url.protocol !== 'http:' || url.username !== '' || url.password !== '') return false;
  // Any proxy setting sends the request through undici's EnvHttpProxyAgent, which knows NO_PROXY's rules.
  if ((env.http_proxy ?? env.HTTP_PROXY ?? '') !== '') return false;
  return Object.values(headers).every((value) => !/[\r\n]/.test(value));
}

/** The head of a response, or null while incomplete. @throws when it is not HTTP/1.x or too large. */
export function parseHead(
  data: Buffer,
): { status: number; headers: IncomingHttpHeaders; length: number } | null {
  const end = data.indexOf('\r\n\r\n');
  if (end < 0) {
    if (data.length > MAX_HEAD_BYTES) throw malformed('response head larger than 64 KiB');
    return null;
  }
  const [statusLine = '', ...lines] = data.toString('latin1', 0, end).split('\r\n');
  const match = /^HTTP\/1\.[01] (\d{3})(?: |$)/.exec(statusLine);
  if (match === null)
    throw malformed(`not an HTTP/1.x status line: ${JSON.stringify(statusLine.slice(0, 80))}`);
  const headers: IncomingHttpHeaders = {};
  for (const line of lines) {
    const colon = line.indexOf(':');
    if (colon <= 0) throw malformed(`bad header line: ${JSON.stringify(line.slice(0, 80))}`);
    const name = line.slice(0, colon).trim().toLowerCase();
    const value = line.slice(colon + 1).trim();
    const previous = headers[name];
    headers[name] = previous === undefined ? value : `${String(previous)}, ${value}`;
  }
  return { status: Number(match[1]), headers, length: end + 4 };
}

/**
 * Sends the GET and drives `handler` through the response, as undici's dispatch would. Resolves `fallback`
 * (socket closed, the handler told nothing but onRequestStart) when undici must take the request instead.
 */
export function dispatchPlain(
  request: PlainRequest,
  handler: Dispatcher.DispatchHandler,
): Promise<'done' | 'fallback'> {
  const { url } = request;
  const scratch = Buffer.allocUnsafe(READ_BYTES);
  let head: Buffer = Buffer.alloc(0);
  let bodyLeft = -1;
  let finished = false;
  let paused = false;
  let reason: Error | null = null;
  let timer: NodeJS.Timeout | null = null;
  let settle!: (outcome: 'done' | 'fallback') => void;
  const outcome = new Promise<'done' | 'fallback'>((resolve) => (settle = resolve));

  const fail = (error: Error): void => {
    if (finished) return;
    finished = true;
    clearTimer();
    socket.destroy();
    handler.onResponseError?.(controller, error);
    settle('done');
  };
  const clearTimer = (): void => {
    if (timer !== null) clearTimeout(timer);
    timer = null;
  };
  const arm = (ms: number, code: string, message: string): void => {
    clearTimer();
    timer = setTimeout(() => fail(Object.assign(new Error(message), { code })), ms);
  };
  const body = (chunk: Buffer): void => {
    const take = Math.min(chunk.length, bodyLeft);
    bodyLeft -= take;
    if (take > 0) handler.onResponseData?.(controller, chunk.subarray(0, take));
    if (bodyLeft === 0 && !finished) {
      finished = true;
      socket.setTimeout(0);
      socket.destroy();
      handler.onResponseEnd?.(controller, {});
      settle('done');
    }
  };
  const onHead = (data: Buffer): void => {
    const parsed = parseHead(data);
    if (parsed === null) return void (head = data);
    clearTimer();
    const { status, headers } = parsed;
    const length = Number(headers['content-length']);
    // Redirects, chunked or unsized bodies: undici does those right; this path only streams sized bodies.
    const sized = headers['transfer-encoding'] === undefined && Number.isSafeInteger(length) && length >= 0;
    if ((status >= 300 && status < 400) || status < 200 || !sized) {
      finished = true;
      socket.destroy();
      return settle('fallback');
    }
    bodyLeft = length;
    socket.setTimeout(request.bodyIdleTimeoutMs);
    handler.onResponseStart?.(controller, status, headers, '');
    if (!finished) body(data.subarray(parsed.length));
  };

  const controller: Dispatcher.DispatchController = {
    get aborted() {
      return reason !== null;
    },
    get paused() {
      return paused;
    },
    get reason() {
      return reason;
    },
    abort: (error: Error) => {
      reason = error;
      fail(error);
    },
    pause: () => {
      paused = true;
      socket.pause();
      // A transfer held back by the disk is not idle.
      socket.setTimeout(0);
    },
    resume: () => {
      if (finished || !paused) return;
      paused = false;
      socket.setTimeout(request.bodyIdleTimeoutMs);
      socket.resume();
    },
  };

  const socket: Socket = connect({
    host: url.hostname.replace(/^\[(.*)\]$/, '$1'),
    port: Number(url.port || 80),
    onread: {
      buffer: scratch,
      callback: (n: number) => {
        if (finished) return false;
        const data = scratch.subarray(0, n);
        try {
          if (bodyLeft < 0) onHead(head.length === 0 ? Buffer.from(data) : Buffer.concat([head, data]));
          else body(data);
        } catch (error) {
          fail(error as Error);
        }
        return !finished && !paused;
      },
    },
  });
  socket.setNoDelay(true);
  handler.onRequestStart?.(controller, {});
  arm(request.connectTimeoutMs, 'UND_ERR_CONNECT_TIMEOUT', 'connect timeout');
  socket.once('connect', () => {
    arm(request.headersTimeoutMs, 'UND_ERR_HEADERS_TIMEOUT', 'headers timeout');
    socket.write(requestHead(url, request.headers));
  });
  socket.on('timeout', () => {
    if (!paused) fail(Object.assign(new Error('body timeout'), { code: 'UND_ERR_BODY_TIMEOUT' }));
  });
  socket.once('error', (error) => fail(error));
  socket.once('close', () => fail(Object.assign(new Error('other side closed'), { code: 'UND_ERR_SOCKET' })));
  return outcome;
}

function requestHead(url: URL, headers: Record<string, string>): string {
  const lines = [`GET ${url.pathname}${url.search} HTTP/1.1`, `host: ${url.host}`, 'connection: close'];
  for (const [name, value] of Object.entries(headers)) lines.push(`${name}: ${value}`);
  return `${lines.join('\r\n')}\r\n\r\n`;
}

function malformed(message: string): Error {
  return Object.assign(new Error(message), { code: 'HPE_INVALID_RESPONSE' });
}
