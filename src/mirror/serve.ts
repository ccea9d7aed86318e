/**
 * @module `skiff mirror serve`: a static HTTP server for a simplestreams tree. `send` (the library behind
 * Express's static files) does Range, ETag, Last-Modified and conditional requests; this module adds the
 * listener, one log line per request, and keeps every request inside the tree (served-path.ts). Error bodies
 * carry the status only, never a path on the host.
 */
import { realpath, stat } from 'node:fs/promises';
import { createServer, STATUS_CODES, type ServerResponse, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { resolve } from 'node:path';
import { SkiffError } from '../core/errors.js';
import { resolveServedPath } from './served-path.js';

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

/** The tree's realpath. @throws SkiffError('invalid-argument') when it is missing or not a directory. */
async function servedRoot(dir: string): Promise<string> {
  const root = resolve(dir);
  const found = await stat(root).catch(() => null);
  if (!found?.isDirectory()) {
    throw new SkiffError(
      'invalid-argument',
      `mirror serve: ${root} ${found ? 'is not a directory' : 'does not exist'} (give the directory \`skiff mirror build\` wrote)`,
      { details: { field: 'dir' } },
    );
  }
  return realpath(root);
}

function sendStatus(res: ServerResponse, status: number): void {
  if (res.headersSent) return void res.destroy();
  res.writeHead(status, { 'content-type': 'text/plain' }).end(`${status} ${STATUS_CODES[status] ?? ''}\n`);
}

/** Starts serving; resolves to the server and its base URL once listening. */
export async function serveMirror(options: ServeOptions): Promise<{ server: Server; url: string }> {
  // Loaded here, not at the top: the bundled CLI would otherwise load it (and its dependencies) on every start.
  const { default: send } = await import('send');
  const root = await servedRoot(options.dir);
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
    void resolveServedPath(root, new URL(req.url ?? '/', 'http://mirror').pathname).then((target) => {
      if (target.kind === 'refused') {
        options.log(`refused "${req.url}": ${target.reason}`);
        return sendStatus(res, target.status);
      }
      // The resolved path, not the requested one: send opens a path with no symlink left to follow.
      send(req, target.urlPath, {
        root,
        dotfiles: 'ignore',
        index: false,
        etag: true,
        lastModified: true,
        acceptRanges: true,
        cacheControl: false,
      })
        // send's messages name absolute paths (ENOENT, stat '/srv/...'): the client gets the status only.
        .on('error', (error: { status?: number }) => sendStatus(res, error.status ?? 500))
        // A mirror has no directory listings (send would otherwise redirect to the resolved path).
        .on('directory', () => sendStatus(res, 404))
        .pipe(res);
    });
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
