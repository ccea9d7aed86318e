/**
 * @module Proves the loopback test servers behave as documented: the mirror (ETag/304, Range, every fault
 * mode, request log), its CLI entry, the forward proxy and the DNS server. The namespace network has its own
 * file, netns.test.ts.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { Resolver } from 'node:dns/promises';
import { mkdtempSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { request } from 'node:http';
import type { Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { EnvHttpProxyAgent, fetch as undiciFetch } from 'undici';
import { DnsServer } from './dns-server.js';
import { MirrorServer, fault } from './mirror-server.js';
import { hasExited, waitFor, waitForExit } from './ns-process.js';
import { ProxyServer } from './proxy-server.js';

const INDEX = '{"format":"index:1.0"}';
const IMAGE = Buffer.from('0123456789abcdefghij');

/** GET with a bounded wait; the body is read so the connection can be reused. */
async function get(
  url: string,
  headers: Record<string, string> = {},
): Promise<{ status: number; body: string; headers: Headers }> {
  const res = await fetch(url, { headers, signal: AbortSignal.timeout(3000) });
  return { status: res.status, body: await res.text(), headers: res.headers };
}

describe('MirrorServer', () => {
  const mirror = new MirrorServer({
    tree: { 'streams/v1/index.json': INDEX, 'img/disk.img': IMAGE },
    basePath: '/m',
  });
  let base = '';
  before(async () => {
    base = await mirror.start();
  });
  after(() => mirror.close());

  it('serves the tree with a strong ETag and Last-Modified, and 404 elsewhere', async () => {
    assert.match(base, /^http:\/\/127\.0\.0\.1:\d+\/m\/$/);
    const res = await get(`${base}streams/v1/index.json`);
    assert.equal(res.status, 200);
    assert.equal(res.body, INDEX);
    assert.match(res.headers.get('etag') ?? '', /^"[0-9a-f]{32}"$/);
    assert.ok(res.headers.get('last-modified'));
    assert.equal(res.headers.get('content-type'), 'application/json');
    assert.equal((await get(`${base}missing.json`)).status, 404);
    assert.equal((await get(base.replace('/m/', '/streams/v1/index.json'))).status, 404);
  });

  it('answers revalidation with 304 and serves changes with a new ETag', async () => {
    mirror.clearRequests();
    const url = `${base}streams/v1/index.json`;
    const first = await get(url);
    const etag = first.headers.get('etag') ?? '';
    const lastModified = first.headers.get('last-modified') ?? '';
    assert.equal((await get(url, { 'if-none-match': etag })).status, 304);
    assert.equal((await get(url, { 'if-modified-since': lastModified })).status, 304);
    mirror.setTree({ 'streams/v1/index.json': '{"format":"index:1.0","v":2}', 'img/disk.img': IMAGE });
    const changed = await get(url, { 'if-none-match': etag });
    assert.equal(changed.status, 200);
    assert.notEqual(changed.headers.get('etag'), etag);
    assert.equal((await get(url, { 'if-modified-since': lastModified })).status, 200, 'mtime moved forward');
    assert.deepEqual(
      mirror.requests.map((r) => [r.status, r.headers['if-none-match'] !== undefined]),
      [
        [200, false],
        [304, true],
        [304, false],
        [200, true],
        [200, false],
      ],
    );
  });

  it('serves byte ranges, and the whole body when If-Range no longer matches', async () => {
    const url = `${base}img/disk.img`;
    const etag = (await get(url)).headers.get('etag') ?? '';
    const part = await get(url, { range: 'bytes=10-', 'if-range': etag });
    assert.equal(part.status, 206);
    assert.equal(part.body, 'abcdefghij');
    assert.equal(part.headers.get('content-range'), 'bytes 10-19/20');
    assert.equal((await get(url, { range: 'bytes=10-', 'if-range': '"stale"' })).status, 200);
    assert.equal((await get(url, { range: 'bytes=50-' })).status, 416);
    assert.equal((await get(url, { 'if-match': '"stale"' })).status, 412);
  });

  it('injects a status fault for a limited number of requests on one path', async () => {
    mirror.setFault({ ...fault.status(503, { 'retry-after': '1' }), times: 2 }, 'img/disk.img');
    const first = await get(`${base}img/disk.img`);
    assert.equal(first.status, 503);
    assert.equal(first.headers.get('retry-after'), '1');
    assert.equal((await get(`${base}streams/v1/index.json`)).status, 200, 'other paths unaffected');
    assert.equal((await get(`${base}img/disk.img`)).status, 503);
    assert.equal((await get(`${base}img/disk.img`)).status, 200, 'fault used up');
    mirror.setFault(fault.status(500));
    assert.equal((await get(`${base}streams/v1/index.json`)).status, 500, 'global fault');
    mirror.clearFaults();
    assert.equal((await get(`${base}streams/v1/index.json`)).status, 200);
  });

  it('resets the connection after reading the request', async () => {
    mirror.clearRequests();
    mirror.setFault(fault.reset());
    const error = await fetch(`${base}img/disk.img`, { signal: AbortSignal.timeout(3000) }).then(
      () => assert.fail('expected a reset'),
      (e: Error & { cause?: { code?: string } }) => e,
    );
    mirror.clearFaults();
    assert.equal(error.cause?.code, 'ECONNRESET');
    assert.deepEqual(
      mirror.requests.map((r) => [r.path, r.status, r.fault]),
      [['/m/img/disk.img', 0, 'reset']],
    );
  });

  it('hangs until the client times out, and close() still returns promptly', async () => {
    const hanging = new MirrorServer({ tree: { a: 'a' } });
    const url = await hanging.start();
    hanging.setFault(fault.hang());
    const started = Date.now();
    await assert.rejects(fetch(`${url}a`, { signal: AbortSignal.timeout(200) }), { name: 'TimeoutError' });
    assert.ok(Date.now() - started < 2000);
    // A second hung request keeps a socket open that close() must destroy.
    const pending = fetch(`${url}a`, { signal: AbortSignal.timeout(5000) }).catch((e: Error) => e);
    await hanging.waitForRequests(2, { timeoutMs: 2000 });
    const closing = Date.now();
    await hanging.close();
    assert.ok(Date.now() - closing < 1000, 'close() does not wait for hung sockets');
    assert.ok((await pending) instanceof Error);
  });

  it('truncates: full Content-Length, half the body, then EOF', async () => {
    mirror.setFault(fault.truncate(), 'img/disk.img');
    const res = await fetch(`${base}img/disk.img`, { signal: AbortSignal.timeout(3000) });
    mirror.clearFaults();
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('content-length'), '20');
    await assert.rejects(res.arrayBuffer());
    assert.equal(mirror.requests.at(-1)?.fault, 'truncate');
  });

  it('delays answers, and the log proves when no request arrived', async () => {
    mirror.clearRequests();
    mirror.setFault(fault.delay(150));
    const started = Date.now();
    assert.equal((await get(`${base}streams/v1/index.json`)).status, 200);
    mirror.clearFaults();
    assert.ok(Date.now() - started >= 140, `took ${Date.now() - started} ms`);
    assert.equal(mirror.requests.filter((r) => r.path.includes('disk.img')).length, 0);
  });
});

describe('mirror-main', () => {
  it('serves a directory on the given address and prints its URL', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'skiff-mirror-'));
    mkdirSync(join(dir, 'streams', 'v1'), { recursive: true });
    writeFileSync(join(dir, 'streams', 'v1', 'index.json'), INDEX);
    const main = fileURLToPath(new URL('./mirror-main.js', import.meta.url));
    const child = spawn(process.execPath, [main, '--listen', '127.0.0.1:0', '--dir', dir], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    try {
      let out = '';
      child.stdout.setEncoding('utf8').on('data', (chunk: string) => (out += chunk));
      await waitFor(() => out.includes('\n'), { timeoutMs: 5000, what: 'mirror-main to listen' });
      const url = /^listening (\S+)/.exec(out)?.[1] ?? '';
      assert.equal((await get(`${url}streams/v1/index.json`)).body, INDEX);
      await waitFor(() => out.includes('request {'), { timeoutMs: 2000, what: 'request log line' });
    } finally {
      child.kill('SIGTERM');
      await waitForExit(child, 5000);
      rmSync(dir, { recursive: true, force: true });
    }
    assert.ok(hasExited(child));
  });
});

describe('ProxyServer', () => {
  const mirror = new MirrorServer({ tree: { 'index.json': INDEX } });
  const proxy = new ProxyServer({ hosts: { 'images.test': '127.0.0.1' } });
  let mirrorUrl = '';
  let proxyUrl = '';
  before(async () => {
    mirrorUrl = await mirror.start();
    proxyUrl = await proxy.start();
  });
  after(() => Promise.all([proxy.close(), mirror.close()]));

  /** One raw request to the proxy, as curl sends it (absolute URI or CONNECT authority). */
  function viaProxy(method: string, path: string): Promise<{ status: number; socket?: Socket }> {
    const { hostname, port } = new URL(proxyUrl);
    return new Promise((resolve, reject) => {
      const req = request({ host: hostname, port, method, path, timeout: 3000 });
      req.once('response', (res) => {
        res.resume();
        resolve({ status: res.statusCode ?? 0 });
      });
      req.once('connect', (res, socket) => resolve({ status: res.statusCode ?? 0, socket }));
      req.once('timeout', () => req.destroy(new Error('proxy request timed out')));
      req.once('error', reject);
      req.end();
    });
  }

  it('forwards absolute-URI GETs and logs them', async () => {
    proxy.clearRequests();
    const { port } = new URL(mirrorUrl);
    assert.equal((await viaProxy('GET', `http://images.test:${port}/index.json`)).status, 200);
    assert.equal(proxy.count, 1);
    assert.deepEqual(
      proxy.requests.map((r) => [r.kind, r.target, r.status]),
      [['forward', `http://images.test:${port}/index.json`, 200]],
    );
    assert.equal(mirror.requests.at(-1)?.headers.host, `images.test:${port}`);
  });

  it('tunnels CONNECT and refuses targets outside loopback without contacting them', async () => {
    proxy.clearRequests();
    const { port } = new URL(mirrorUrl);
    const tunnel = await viaProxy('CONNECT', `127.0.0.1:${port}`);
    assert.equal(tunnel.status, 200);
    const socket = tunnel.socket;
    assert.ok(socket);
    let reply = '';
    socket.setEncoding('utf8').on('data', (chunk: string) => (reply += chunk));
    socket.write(`GET /index.json HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n`);
    await waitFor(() => reply.includes(INDEX), { timeoutMs: 3000, what: 'reply through the tunnel' });
    socket.destroy();
    assert.equal((await viaProxy('CONNECT', '10.0.0.1:443')).status, 403);
    assert.equal((await viaProxy('GET', 'http://example.invalid/')).status, 403);
    assert.deepEqual(
      proxy.requests.map((r) => [r.kind, r.status]),
      [
        ['connect', 200],
        ['connect', 403],
        ['forward', 403],
      ],
    );
  });

  it('is used by undici EnvHttpProxyAgent, except for NO_PROXY hosts', async () => {
    proxy.clearRequests();
    const { port } = new URL(mirrorUrl);
    const proxied = new EnvHttpProxyAgent({ httpProxy: proxyUrl, noProxy: '' });
    const res = await undiciFetch(`http://images.test:${port}/index.json`, {
      dispatcher: proxied,
      signal: AbortSignal.timeout(3000),
    });
    assert.equal(await res.text(), INDEX);
    assert.equal(proxy.count, 1, 'went through the proxy');
    const bypass = new EnvHttpProxyAgent({ httpProxy: proxyUrl, noProxy: '127.0.0.1' });
    const direct = await undiciFetch(`${mirrorUrl}index.json`, {
      dispatcher: bypass,
      signal: AbortSignal.timeout(3000),
    });
    assert.equal(await direct.text(), INDEX);
    assert.equal(proxy.count, 1, 'NO_PROXY bypassed the proxy');
    await Promise.all([proxied.close(), bypass.close()]);
  });
});

describe('DnsServer', () => {
  const server = new DnsServer({ records: { 'images.test': '10.200.1.1' } });
  const resolver = new Resolver({ timeout: 300, tries: 1 });
  before(async () => {
    const { address, port } = await server.start();
    resolver.setServers([`${address}:${port}`]);
  });
  after(() => server.close());

  it('answers A from the map, NODATA for other types of a known name, NXDOMAIN otherwise', async () => {
    assert.deepEqual(await resolver.resolve4('Images.Test'), ['10.200.1.1']);
    await assert.rejects(resolver.resolve6('images.test'), { code: 'ENODATA' });
    await assert.rejects(resolver.resolve4('nope.test'), { code: 'ENOTFOUND' });
    assert.deepEqual(
      server.queries.map((q) => [q.name, q.type, q.rcode]),
      [
        ['images.test', 'A', 'NOERROR'],
        ['images.test', 'AAAA', 'NOERROR'],
        ['nope.test', 'A', 'NXDOMAIN'],
      ],
    );
  });

  it('goes silent on request, so resolvers time out', async () => {
    server.setSilent(true);
    await assert.rejects(resolver.resolve4('images.test'), { code: 'ETIMEOUT' });
    server.setSilent(false);
    server.setRecords({ 'images.test': '10.200.1.2' });
    assert.deepEqual(await resolver.resolve4('images.test'), ['10.200.1.2']);
  });
});
