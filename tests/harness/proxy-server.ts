/**
 * @module Minimal HTTP forward proxy for integration tests (absolute-URI forwarding and CONNECT tunnels) that
 * logs every request, so a test can prove a client honoured HTTP_PROXY / HTTPS_PROXY / NO_PROXY.
 */
import { createServer, request as httpRequest } from 'node:http';
import type { IncomingMessage, OutgoingHttpHeaders, Server, ServerResponse } from 'node:http';
import { connect, isIP } from 'node:net';
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import type { ListenOptions } from './mirror-server.js';

/** One request the proxy saw. `status` is what the proxy answered (0 while a forward is in flight). */
export interface ProxyRequest {
  kind: 'forward' | 'connect';
  method: string;
  /** Absolute URL for forwards, `host:port` for CONNECT. */
  target: string;
  headers: IncomingMessage['headers'];
  status: number;
  atMs: number;
}

export interface ProxyServerOptions {
  /**
   * Hostname → IP used instead of DNS: the proxy never resolves names, so a test can proxy to
   * `http://images.test/` while only loopback is ever contacted. `localhost` maps to 127.0.0.1 by default.
   */
  hosts?: Record<string, string>;
  /** Which resolved IP/port may be contacted; default loopback only. Refused targets get 403 (and are logged). */
  allowTarget?: (ip: string, port: number) => boolean;
}

const HOP_BY_HOP = ['proxy-connection', 'proxy-authorization', 'connection', 'keep-alive', 'te', 'upgrade'];

/** True for 127.0.0.0/8, ::1 and their v4-mapped forms. */
export function isLoopbackIp(ip: string): boolean {
  return isIP(ip) !== 0 && (/^(::ffff:)?127\./.test(ip) || ip === '::1');
}

/** A loopback forward proxy that counts what passes through it. */
export class ProxyServer {
  readonly #log: ProxyRequest[] = [];
  readonly #sockets = new Set<Duplex>();
  readonly #hosts: Record<string, string>;
  readonly #allow: (ip: string, port: number) => boolean;
  readonly #server: Server;
  #url: string | undefined;

  constructor(options: ProxyServerOptions = {}) {
    this.#hosts = { localhost: '127.0.0.1', ...options.hosts };
    this.#allow = options.allowTarget ?? isLoopbackIp;
    this.#server = createServer((req, res) => this.#forward(req, res));
    this.#server.on('connect', (req: IncomingMessage, socket: Duplex, head: Buffer) =>
      this.#tunnel(req, socket, head),
    );
    this.#server.on('connection', (socket: Socket) => this.#track(socket));
  }

  /** Starts listening; resolves to the proxy URL (e.g. `http://127.0.0.1:40111`) for HTTP(S)_PROXY. */
  async start(options: ListenOptions = {}): Promise<string> {
    await new Promise<void>((resolve, reject) => {
      this.#server.once('error', reject);
      this.#server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => {
        this.#server.off('error', reject);
        resolve();
      });
    });
    const address = this.#server.address();
    if (address === null || typeof address === 'string') throw new Error('proxy: unexpected listen address');
    const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
    this.#url = `http://${host}:${address.port}`;
    return this.#url;
  }

  /** The proxy URL; throws before start(). */
  get url(): string {
    if (this.#url === undefined) throw new Error('proxy: not started');
    return this.#url;
  }

  /** A snapshot of the request log, oldest first. */
  get requests(): ProxyRequest[] {
    return this.#log.map((entry) => ({ ...entry }));
  }

  /** How many requests (forwards + CONNECTs) arrived. */
  get count(): number {
    return this.#log.length;
  }

  /** Forgets the request log. */
  clearRequests(): void {
    this.#log.length = 0;
  }

  /** Stops listening and destroys every client socket and tunnel; resolves when closed. */
  async close(): Promise<void> {
    if (!this.#server.listening) return;
    const closed = new Promise<void>((resolve) => this.#server.close(() => resolve()));
    for (const socket of this.#sockets) socket.destroy();
    await closed;
  }

  #track(socket: Duplex): void {
    this.#sockets.add(socket);
    socket.once('close', () => this.#sockets.delete(socket));
  }

  #record(kind: ProxyRequest['kind'], req: IncomingMessage): ProxyRequest {
    const entry: ProxyRequest = {
      kind,
      method: req.method ?? 'GET',
      target: req.url ?? '',
      headers: { ...req.headers },
      status: 0,
      atMs: Date.now(),
    };
    this.#log.push(entry);
    return entry;
  }

  /** Maps a host to an allowed IP, or explains why it may not be contacted. */
  #resolve(host: string, port: number): { ip: string } | { refused: string } {
    const bare = host.replace(/^\[(.*)\]$/, '$1');
    const ip = this.#hosts[bare] ?? bare;
    if (isIP(ip) === 0) return { refused: `proxy: no IP for ${bare} (the proxy never uses DNS)` };
    if (!this.#allow(ip, port)) return { refused: `proxy: target ${ip}:${port} not allowed` };
    return { ip };
  }

  #forward(req: IncomingMessage, res: ServerResponse): void {
    const entry = this.#record('forward', req);
    const reply = (status: number, message: string): void => {
      entry.status = status;
      res.writeHead(status, { 'content-type': 'text/plain' }).end(`${message}\n`);
    };
    let target: URL;
    try {
      target = new URL(req.url ?? '');
    } catch {
      return reply(400, 'proxy: expected an absolute URI');
    }
    if (target.protocol !== 'http:') return reply(400, `proxy: cannot forward ${target.protocol}`);
    const port = Number(target.port || 80);
    const resolved = this.#resolve(target.hostname, port);
    if ('refused' in resolved) return reply(403, resolved.refused);
    const headers: OutgoingHttpHeaders = { ...req.headers };
    for (const name of HOP_BY_HOP) delete headers[name];
    // RFC 9112 §3.2.2: with an absolute-form target the proxy uses its authority as Host.
    headers.host = target.host;
    const upstream = httpRequest(
      { host: resolved.ip, port, method: req.method, path: `${target.pathname}${target.search}`, headers },
      (upstreamRes) => {
        entry.status = upstreamRes.statusCode ?? 502;
        res.writeHead(entry.status, upstreamRes.headers);
        upstreamRes.pipe(res);
        upstreamRes.once('error', () => res.destroy());
      },
    );
    upstream.once('error', (error) => {
      if (res.headersSent) res.destroy();
      else reply(502, `proxy: upstream ${error.message}`);
    });
    res.once('close', () => upstream.destroy());
    req.pipe(upstream);
  }

  #tunnel(req: IncomingMessage, client: Duplex, head: Buffer): void {
    this.#track(client);
    const entry = this.#record('connect', req);
    const refuse = (status: number, message: string): void => {
      entry.status = status;
      client.end(`HTTP/1.1 ${status} ${message}\r\nconnection: close\r\ncontent-length: 0\r\n\r\n`);
    };
    const match = /^(\[[^\]]+\]|[^:]+):(\d+)$/.exec(req.url ?? '');
    if (match === null) return refuse(400, 'Bad Request');
    const port = Number(match[2]);
    const resolved = this.#resolve(match[1] ?? '', port);
    if ('refused' in resolved) return refuse(403, 'Forbidden');
    const upstream = connect(port, resolved.ip);
    this.#track(upstream);
    upstream.once('connect', () => {
      entry.status = 200;
      client.write('HTTP/1.1 200 Connection Established\r\n\r\n');
      if (head.length > 0) upstream.write(head);
      upstream.pipe(client);
      client.pipe(upstream);
    });
    upstream.once('error', () => (entry.status === 0 ? refuse(502, 'Bad Gateway') : client.destroy()));
    client.once('error', () => upstream.destroy());
    client.once('close', () => upstream.destroy());
    // Only an established tunnel is torn down here; a refusal must get to flush its 502 first.
    upstream.once('close', () => entry.status === 200 && client.destroy());
  }
}
