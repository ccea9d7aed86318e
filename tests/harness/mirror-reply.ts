/**
 * @module The mirror's data model and its pure HTTP semantics: fault descriptions, tree entries, and the
 * reply (200/206/304/404/412/416) a request earns. No sockets here, so the rules read in one place.
 */
import { createHash } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';

/** Relative path → body served by the mirror. */
export type MirrorTree = Record<string, string | Buffer>;

/** What an injected fault does once the request has arrived. Plain JSON so it can cross a pipe. */
export type FaultAction =
  | { kind: 'status'; code: number; headers?: Record<string, string> }
  | { kind: 'reset' }
  | { kind: 'hang' }
  | { kind: 'truncate' };

/** A fault: an optional delay, then an optional action; `times` limits it to the next N matching requests. */
export interface Fault {
  action?: FaultAction;
  delayMs?: number;
  times?: number;
}

/** Factories for the common faults; combine with spread, e.g. `{ ...fault.status(503), times: 2 }`. */
export const fault = {
  /** Answer with this status (and headers, e.g. Retry-After) instead of the content. */
  status: (code: number, headers?: Record<string, string>): Fault => ({
    action: headers === undefined ? { kind: 'status', code } : { kind: 'status', code, headers },
  }),
  /** Read the request, then send a TCP RST. */
  reset: (): Fault => ({ action: { kind: 'reset' } }),
  /** Read the request and never answer (until close()). */
  hang: (): Fault => ({ action: { kind: 'hang' } }),
  /** Send the full Content-Length header but only half the body, then close. */
  truncate: (): Fault => ({ action: { kind: 'truncate' } }),
  /** Answer normally after `ms`. */
  delay: (ms: number): Fault => ({ delayMs: ms }),
} as const;

/** One logged request. `status` is 0 when no response was sent (reset, hang, client gone). */
export interface MirrorRequest {
  method: string;
  /** The request target as received (path and query). */
  path: string;
  headers: IncomingHttpHeaders;
  status: number;
  fault?: FaultAction['kind'] | 'delay';
  /** False while the request is still being delayed or answered. */
  done: boolean;
  atMs: number;
}

/** A served file: its body, strong ETag and Last-Modified in whole seconds (HTTP dates have no more). */
export interface MirrorEntry {
  body: Buffer;
  etag: string;
  mtimeSec: number;
}

/** A planned response. */
export interface Reply {
  status: number;
  headers: Record<string, string | number>;
  body: Buffer;
}

/** Builds a tree entry; the ETag is a content hash so equal bodies always share it. */
export function treeEntry(body: string | Buffer, mtime: Date): MirrorEntry {
  const bytes = typeof body === 'string' ? Buffer.from(body) : body;
  const etag = `"${createHash('sha256').update(bytes).digest('hex').slice(0, 32)}"`;
  return { body: bytes, etag, mtimeSec: Math.floor(mtime.getTime() / 1000) };
}

const CONTENT_TYPES: Record<string, string> = {
  json: 'application/json',
  txt: 'text/plain; charset=utf-8',
  sha256: 'text/plain; charset=utf-8',
  xz: 'application/x-xz',
  gz: 'application/gzip',
};

function text(status: number, message: string, headers: Record<string, string | number> = {}): Reply {
  const body = Buffer.from(`${message}\n`);
  return {
    status,
    headers: { 'content-type': 'text/plain', 'content-length': body.length, ...headers },
    body,
  };
}

function tags(header: string | undefined): string[] | undefined {
  return header?.split(',').map((tag) => tag.trim());
}

const weak = (tag: string): string => tag.replace(/^W\//, '');

/** Decides the reply for a GET/HEAD of `path` (entry undefined = no such file), honouring conditionals and Range. */
export function planReply(
  req: { method?: string | undefined; headers: IncomingHttpHeaders },
  path: string,
  entry: MirrorEntry | undefined,
): Reply {
  if (req.method !== 'GET' && req.method !== 'HEAD')
    return text(405, 'method not allowed', { allow: 'GET, HEAD' });
  if (entry === undefined) return text(404, 'not found');
  const lastModified = new Date(entry.mtimeSec * 1000).toUTCString();
  const validators = { etag: entry.etag, 'last-modified': lastModified };
  const ifMatch = tags(req.headers['if-match']);
  if (ifMatch !== undefined && !ifMatch.includes('*') && !ifMatch.includes(entry.etag)) {
    return text(412, 'precondition failed', validators);
  }
  const ifNoneMatch = tags(req.headers['if-none-match']);
  if (ifNoneMatch !== undefined) {
    // RFC 9110: If-None-Match uses weak comparison and, when present, If-Modified-Since is ignored.
    if (ifNoneMatch.includes('*') || ifNoneMatch.some((tag) => weak(tag) === entry.etag)) {
      return { status: 304, headers: validators, body: Buffer.alloc(0) };
    }
  } else {
    const since = Date.parse(req.headers['if-modified-since'] ?? '');
    if (!Number.isNaN(since) && entry.mtimeSec * 1000 <= since) {
      return { status: 304, headers: validators, body: Buffer.alloc(0) };
    }
  }
  const headers = { ...validators, 'accept-ranges': 'bytes', 'content-type': contentType(path) };
  const range = rangeOf(req.headers, entry, lastModified);
  if (range === 'unsatisfiable') {
    return text(416, 'range not satisfiable', {
      ...headers,
      'content-range': `bytes */${entry.body.length}`,
    });
  }
  const size = entry.body.length;
  const body = range === undefined ? entry.body : entry.body.subarray(range.start, range.end + 1);
  const common = { ...headers, 'content-length': body.length };
  if (range === undefined) return { status: 200, headers: common, body };
  return {
    status: 206,
    headers: { ...common, 'content-range': `bytes ${range.start}-${range.end}/${size}` },
    body,
  };
}

/** Content type by file extension; octet-stream otherwise. */
export function contentType(path: string): string {
  const extension = /\.([a-z0-9]+)$/i.exec(path)?.[1]?.toLowerCase();
  return (extension !== undefined ? CONTENT_TYPES[extension] : undefined) ?? 'application/octet-stream';
}

function rangeOf(
  headers: IncomingHttpHeaders,
  entry: MirrorEntry,
  lastModified: string,
): { start: number; end: number } | 'unsatisfiable' | undefined {
  const match = /^bytes=(\d*)-(\d*)$/.exec(headers.range ?? '');
  if (match === null) return undefined; // absent, malformed or multi-range: serve the whole body
  const ifRange = headers['if-range'];
  if (ifRange !== undefined && ifRange !== entry.etag && ifRange !== lastModified) return undefined;
  const size = entry.body.length;
  const [, first = '', last = ''] = match;
  if (first === '' && last === '') return undefined;
  const start = first === '' ? Math.max(0, size - Number(last)) : Number(first);
  const end = first === '' || last === '' ? size - 1 : Math.min(Number(last), size - 1);
  if (size === 0 || start >= size || start > end) return 'unsatisfiable';
  return { start, end };
}

/** Serialises a tree for mirror-main's `--tree` file; binary bodies travel as base64. */
export function encodeTreeJson(tree: MirrorTree): string {
  const out: Record<string, string | { base64: string }> = {};
  for (const [path, body] of Object.entries(tree)) {
    out[path] = typeof body === 'string' ? body : { base64: body.toString('base64') };
  }
  return JSON.stringify(out);
}

/** Parses a tree file written by encodeTreeJson (or by hand); throws naming the bad path. */
export function decodeTreeJson(json: string): MirrorTree {
  const raw: unknown = JSON.parse(json);
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw))
    throw new Error('tree: expected an object');
  const tree: MirrorTree = {};
  for (const [path, value] of Object.entries(raw as Record<string, unknown>)) {
    if (typeof value === 'string') tree[path] = value;
    else if (
      value !== null &&
      typeof value === 'object' &&
      typeof (value as { base64?: unknown }).base64 === 'string'
    ) {
      tree[path] = Buffer.from((value as { base64: string }).base64, 'base64');
    } else throw new Error(`tree: ${path}: expected a string or { base64 }`);
  }
  return tree;
}
