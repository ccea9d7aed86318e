/**
 * @module Loopback HTTP mirror for integration tests: serves an in-memory tree with strong ETags and
 * Last-Modified, answers conditional and Range requests, logs every request, and injects faults at runtime.
 */
import { createServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { planReply, treeEntry } from './mirror-reply.js';
import type { Fault, FaultAction, MirrorEntry, MirrorRequest, MirrorTree, Reply } from './mirror-reply.js';

export { decodeTreeJson, encodeTreeJson, fault } from './mirror-reply.js';
export type { Fault, FaultAction, MirrorRequest, MirrorTree } from './mirror-reply.js';

export interface MirrorServerOptions {
  /** Relative path (`streams/v1/index.json`) → body. */
  tree?: MirrorTree;
  /** URL path the tree is served under; default `/`. */
  basePath?: string;
  /** Last-Modified of the initial tree; default now. */
  mtime?: Date;
  /** Called once per request when its outcome is known (used by mirror-main to stream the log). */
  onRequest?: (entry: MirrorRequest) => void;
}

/** Where to listen; only loopback or namespace-local addresses belong here. */
export interface ListenOptions {
  host?: string;
  port?: number;
}

const GLOBAL = Symbol('global fault');

/** An HTTP mirror on loopback (or inside a test namespace) whose content and failures a test controls. */
export class MirrorServer {
  readonly basePath: string;
  readonly #entries = new Map<string, MirrorEntry>();
  readonly #faults = new Map<string | typeof GLOBAL, Fault>();
  readonly #log: MirrorRequest[] = [];
  readonly #sockets = new Set<Socket>();
  readonly #timers = new Set<NodeJS.Timeout>();
  readonly #server: Server;
  readonly #onRequest: ((entry: MirrorRequest) => void) | undefined;
  #url: string | undefined;

  constructor(options: MirrorServerOptions = {}) {
    const base = options.basePath ?? '/';
    this.basePath = (base.startsWith('/') ? base : `/${base}`).replace(/\/?$/, '/');
    this.#onRequest = options.onRequest;
    this.setTree(options.tree ?? {}, options.mtime === undefined ? {} : { mtime: options.mtime });
    this.#server = createServer((req, res) => this.#handle(req, res));
    this.#server.on('connection', (socket) => {
      this.#sockets.add(socket);
      socket.once('close', () => this.#sockets.delete(socket));
    });
  }

  /** Starts listening; resolves to the base URL (e.g. `http://127.0.0.1:41234/`). Rejects on bind errors. */
  async start(options: ListenOptions = {}): Promise<string> {
    const host = options.host ?? '127.0.0.1';
    await new Promise<void>((resolve, reject) => {
      this.#server.once('error', reject);
      this.#server.listen(options.port ?? 0, host, () => {
        this.#server.off('error', reject);
        resolve();
      });
    });
    const address = this.#server.address();
    if (address === null || typeof address === 'string') throw new Error('mirror: unexpected listen address');
    const hostPart = address.family === 'IPv6' ? `[${address.address}]` : address.address;
    this.#url = `http://${hostPart}:${address.port}${this.basePath}`;
    return this.#url;
  }

  /** The base URL; throws before start(). */
  get url(): string {
    if (this.#url === undefined) throw new Error('mirror: not started');
    return this.#url;
  }

  /**
   * Replaces the served tree. Unchanged bodies keep their ETag and Last-Modified; changed ones get a
   * Last-Modified strictly later than before, so If-Modified-Since can never hide a change.
   */
  setTree(tree: MirrorTree, options: { mtime?: Date } = {}): void {
    const now = options.mtime ?? new Date();
    const next = new Map<string, MirrorEntry>();
    for (const [path, body] of Object.entries(tree)) {
      const key = path.replace(/^\/+/, '');
      const previous = this.#entries.get(key);
      const entry = treeEntry(body, now);
      if (previous !== undefined && previous.etag === entry.etag) next.set(key, previous);
      else if (previous !== undefined && entry.mtimeSec <= previous.mtimeSec)
        next.set(key, { ...entry, mtimeSec: previous.mtimeSec + 1 });
      else next.set(key, entry);
    }
    this.#entries.clear();
    for (const [key, entry] of next) this.#entries.set(key, entry);
  }

  /**
   * Installs (or with `null` removes) a fault for one relative path, or for every path when `path` is
   * omitted. A path fault wins over the global one.
   */
  setFault(fault: Fault | null, path?: string): void {
    const key = path === undefined ? GLOBAL : path.replace(/^\/+/, '');
    if (fault === null) this.#faults.delete(key);
    else this.#faults.set(key, { ...fault });
  }

  /** Removes every fault. */
  clearFaults(): void {
    this.#faults.clear();
  }

  /** A snapshot of the request log, oldest first. */
  get requests(): MirrorRequest[] {
    return this.#log.map((entry) => ({ ...entry }));
  }

  /** Forgets the request log. */
  clearRequests(): void {
    this.#log.length = 0;
  }

  /** Resolves once `count` requests (optionally for one URL path) have an outcome; rejects after `timeoutMs`. */
  async waitForRequests(
    count: number,
    options: { path?: string; timeoutMs?: number } = {},
  ): Promise<MirrorRequest[]> {
    const deadline = Date.now() + (options.timeoutMs ?? 5000);
    for (;;) {
      const done = this.requests.filter(
        (r) => r.done && (options.path === undefined || r.path === options.path),
      );
      if (done.length >= count) return done;
      if (Date.now() > deadline) throw new Error(`mirror: ${done.length}/${count} requests before timeout`);
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  }

  /** Stops listening and destroys every open socket (including hung ones); resolves when closed. */
  async close(): Promise<void> {
    for (const timer of this.#timers) clearTimeout(timer);
    this.#timers.clear();
    if (!this.#server.listening) return;
    const closed = new Promise<void>((resolve) => this.#server.close(() => resolve()));
    for (const socket of this.#sockets) socket.destroy();
    await closed;
  }

  #handle(req: IncomingMessage, res: ServerResponse): void {
    const entry: MirrorRequest = {
      method: req.method ?? 'GET',
      path: req.url ?? '/',
      headers: { ...req.headers },
      status: 0,
      done: false,
      atMs: Date.now(),
    };
    this.#log.push(entry);
    const relative = this.#relative(entry.path);
    const fault = this.#takeFault(relative);
    const finish = (status: number, faultName?: MirrorRequest['fault']): void => {
      if (entry.done) return;
      entry.status = status;
      if (faultName !== undefined) entry.fault = faultName;
      entry.done = true;
      this.#onRequest?.({ ...entry });
    };
    res.once('finish', () => finish(res.statusCode));
    // A client that gives up before any answer still leaves a log entry with status 0.
    res.once('close', () => finish(0, entry.fault));
    const act = (): void => {
      const action = fault?.action;
      const file = relative === null ? undefined : this.#entries.get(relative);
      const reply = planReply(req, relative ?? '', file);
      this.#respond(req, res, reply, action, entry, finish);
    };
    if (fault?.delayMs !== undefined && fault.delayMs > 0) {
      entry.fault = 'delay';
      const timer = setTimeout(() => {
        this.#timers.delete(timer);
        act();
      }, fault.delayMs);
      this.#timers.add(timer);
    } else act();
  }

  #respond(
    req: IncomingMessage,
    res: ServerResponse,
    reply: Reply,
    action: FaultAction | undefined,
    entry: MirrorRequest,
    finish: (status: number, fault?: MirrorRequest['fault']) => void,
  ): void {
    if (res.destroyed) return;
    switch (action?.kind) {
      case undefined:
        res.writeHead(reply.status, reply.headers);
        res.end(req.method === 'HEAD' ? undefined : reply.body);
        return;
      case 'status':
        entry.fault = 'status';
        res.writeHead(action.code, { 'content-type': 'text/plain', ...action.headers });
        res.end(`injected ${action.code}\n`);
        return;
      case 'reset':
        finish(0, 'reset');
        // A real RST (not a FIN), so clients see ECONNRESET like on a flaky network.
        req.socket.resetAndDestroy();
        return;
      case 'hang':
        finish(0, 'hang');
        return;
      case 'truncate': {
        const half = reply.body.subarray(0, Math.floor(reply.body.length / 2));
        finish(reply.status, 'truncate');
        res.writeHead(reply.status, reply.headers);
        res.write(half);
        // Ending the socket (not the response) leaves Content-Length unmet, as a dropped transfer would.
        req.socket.end();
        return;
      }
      default: {
        const unknown: never = action;
        throw new Error(`mirror: unknown fault ${JSON.stringify(unknown)}`);
      }
    }
  }

  #relative(rawPath: string): string | null {
    let pathname: string;
    try {
      pathname = decodeURIComponent(new URL(rawPath, 'http://mirror').pathname);
    } catch {
      return null;
    }
    return pathname.startsWith(this.basePath) ? pathname.slice(this.basePath.length) : null;
  }

  #takeFault(relative: string | null): Fault | undefined {
    const key = relative !== null && this.#faults.has(relative) ? relative : GLOBAL;
    const fault = this.#faults.get(key);
    if (fault?.times !== undefined) {
      fault.times -= 1;
      if (fault.times <= 0) this.#faults.delete(key);
    }
    return fault;
  }
}
