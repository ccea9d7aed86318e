/**
 * @module `skiff mirror serve`: a static HTTP server for a simplestreams tree. `send` (the library behind
 * Express's static files) does Range, ETag, Last-Modified, conditional requests and path safety; this module
 * adds the listener and one log line per request.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { resolve } from 'node:path';
import { SkiffError } from '../core/errors.js';

export interface ServeOptions {
  dir: string;
  host: string;
  port: number;
  log: (line: string) => void;
}

/** Parses `ADDR:PORT` (`[::1]:8080` for IPv6). @throws SkiffError('invalid-argument'). */
export function parseListen(value: string): { host: string; port: number } {
  const match = /^(?:\[([^\]]+)\]|([^:]+)):(\d{1,5})$/.exec(value);
  const port = Number(match?.[3]);
  if (!match || port > 65535) {
    throw new SkiffError(
      'invalid-argument',
      `--listen "${value}" is invalid (expected ADDR:PORT, e.g. 127.0.0.1:8080)`,
    );
  }
  return { host: (match[1] ?? match[2])!, port };
}

/** Starts serving; resolves to the server and its base URL once listening. */
export async function serveMirror(options: ServeOptions): Promise<{ server: Server; url: string }> {
  // Loaded here, not at the top: the bundled CLI would otherwise load it (and its dependencies) on every start.
  const { default: send } = await import('send');
  const root = resolve(options.dir);
  const server = createServer((req, res) => {
    const started = process.hrtime.bigint();
    let bytes = 0;
    const write = res.write.bind(res);
    res.write = ((chunk: Buffer | string, ...rest: never[]) => {
      bytes += typeof chunk === 'string' ? Buffer.byteLength(chunk) : chunk.length;
      return write(chunk, ...rest);
    }) as typeof res.write;
    res.on('finish', () => {
      const ms = Number(process.hrtime.bigint() - started) / 1e6;
      const range = req.headers.range ? ` range=${req.headers.range}` : '';
      options.log(
        `${new Date().toISOString()} ${req.socket.remoteAddress ?? '-'} "${req.method} ${req.url}" ${res.statusCode} ${bytes} bytes ${ms.toFixed(1)} ms${range}`,
      );
    });
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { allow: 'GET, HEAD' }).end();
      return;
    }
    // An origin server evaluates If-None-Match/If-Modified-Since whatever the client's Cache-Control says
    // (RFC 9110 §13.2.1); `send` would skip them on `no-cache`, which fetch() adds to conditional requests.
    delete req.headers['cache-control'];
    delete req.headers.pragma;
    // send decodes the path itself (and answers 400 to a malformed one).
    send(req, new URL(req.url ?? '/', 'http://mirror').pathname, {
      root,
      dotfiles: 'ignore',
      index: false,
      etag: true,
      lastModified: true,
      acceptRanges: true,
      cacheControl: false,
    })
      .on('error', (error: { status?: number; message: string }) => {
        res
          .writeHead(error.status ?? 500, { 'content-type': 'text/plain' })
          .end(`${error.status ?? 500} ${error.message}\n`);
      })
      .pipe(res);
  });
  await new Promise<void>((resolvePromise, reject) => {
    server.once('error', (error: NodeJS.ErrnoException) =>
      reject(
        new SkiffError(
          'invalid-argument',
          `cannot listen on ${options.host}:${options.port}: ${error.code ?? error.message}`,
        ),
      ),
    );
    server.listen(options.port, options.host, () => resolvePromise());
  });
  const { address, port } = server.address() as AddressInfo;
  const host = address.includes(':') ? `[${address}]` : address;
  return { server, url: `http://${host}:${port}/` };
}
