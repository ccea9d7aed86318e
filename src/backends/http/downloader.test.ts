import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { Readable } from 'node:stream';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { DownloadError } from '../../core/fetch-error.js';
import type { FetchStart } from '../../services/vault/ports.js';
import { UndiciDownloader } from './downloader.js';

const body = randomBytes(1024 * 1024 + 17);
const sha = (data: Buffer) => createHash('sha256').update(data).digest('hex');
const ETAG = '"v1"';

type Route = (req: IncomingMessage, res: ServerResponse) => void;

/** Serves `body` with Range/If-Range like a static server; other routes are set per test. */
function serveBody(data: Buffer, etag = ETAG): Route {
  return (req, res) => {
    const range = /^bytes=(\d+)-$/.exec(req.headers.range ?? '');
    const ifRange = req.headers['if-range'];
    if (range && (ifRange === undefined || ifRange === etag)) {
      const start = Number(range[1]);
      if (start >= data.length) {
        res.writeHead(416, { 'content-range': `bytes */${data.length}` });
        return void res.end('no');
      }
      res.writeHead(206, {
        etag,
        'content-length': data.length - start,
        'content-range': `bytes ${start}-${data.length - 1}/${data.length}`,
      });
      return void res.end(data.subarray(start));
    }
    res.writeHead(200, { etag, 'content-length': data.length, 'last-modified': new Date(0).toUTCString() });
    res.end(data);
  };
}

for (const plainHttp of [true, false])
  describe(`UndiciDownloader (${plainHttp ? 'plain socket' : 'undici'} path for http://)`, () => {
    let server: Server;
    let base: string;
    let dir: string;
    const routes = new Map<string, Route>();
    const seen: IncomingMessage[] = [];
    const downloader = new UndiciDownloader({
      headersTimeoutMs: 300,
      bodyIdleTimeoutMs: 300,
      progressIntervalMs: 0,
      plainHttp,
    });
    let n = 0;
    const dest = () => join(dir, `f${++n}`);

    before(async () => {
      dir = await mkdtemp(join(tmpdir(), 'skiff-dl-'));
      server = createServer((req, res) => {
        seen.push(req);
        const route = routes.get(req.url ?? '');
        if (route) route(req, res);
        else res.writeHead(404).end('not found');
      });
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
      routes.set('/body', serveBody(body));
    });
    after(async () => {
      await downloader.close();
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
      await rm(dir, { recursive: true, force: true });
    });

    test('streams to the file with the sha256 of the whole file, validators and progress', async () => {
      const file = dest();
      const starts: FetchStart[] = [];
      const progress: number[] = [];
      const result = await downloader.fetch({
        url: `${base}/body`,
        dest: file,
        onStart: (s) => void starts.push(s),
        onProgress: (p) => progress.push(p.bytes),
      });
      assert.deepEqual(await readFile(file), body);
      assert.equal(result.sha256, sha(body));
      assert.equal(result.sizeBytes, body.length);
      assert.equal(result.transferredBytes, body.length);
      assert.equal(result.etag, ETAG);
      assert.deepEqual(starts, [
        { etag: ETAG, lastModified: new Date(0).toUTCString(), totalBytes: body.length, resumedFromBytes: 0 },
      ]);
      assert.equal(progress.at(-1), body.length);
    });

    test('resumes with Range + If-Range, hashing the kept prefix first', async () => {
      const file = dest();
      await writeFile(file, body.subarray(0, 1000));
      seen.length = 0;
      const result = await downloader.fetch({ url: `${base}/body`, dest: file, resume: { ifRange: ETAG } });
      assert.equal(seen[0]!.headers.range, 'bytes=1000-');
      assert.equal(seen[0]!.headers['if-range'], ETAG);
      assert.equal(result.resumedFromBytes, 1000);
      assert.equal(result.transferredBytes, body.length - 1000);
      assert.equal(result.sha256, sha(body));
      assert.deepEqual(await readFile(file), body);
    });

    test('a 200 to a Range request starts over (the file is truncated first)', async () => {
      const file = dest();
      await writeFile(file, Buffer.alloc(5000, 1));
      const result = await downloader.fetch({
        url: `${base}/body`,
        dest: file,
        resume: { ifRange: '"old"' },
      });
      assert.equal(result.resumedFromBytes, 0);
      assert.equal(result.sha256, sha(body));
      assert.deepEqual(await readFile(file), body);
    });

    test('a 416 naming exactly the kept size means the partial is already complete', async () => {
      const file = dest();
      await writeFile(file, body);
      const result = await downloader.fetch({ url: `${base}/body`, dest: file, resume: { ifRange: ETAG } });
      assert.equal(result.transferredBytes, 0);
      assert.equal(result.sha256, sha(body));
    });

    test('a 206 from the wrong offset restarts from zero', async () => {
      routes.set('/odd', (req, res) => {
        if (req.headers.range) {
          res.writeHead(206, { 'content-range': `bytes 0-9/${body.length}`, 'content-length': 10 });
          return void res.end(body.subarray(0, 10));
        }
        serveBody(body)(req, res);
      });
      const file = dest();
      await writeFile(file, body.subarray(0, 100));
      const result = await downloader.fetch({ url: `${base}/odd`, dest: file, resume: { ifRange: ETAG } });
      assert.equal(result.sha256, sha(body));
      assert.deepEqual(await readFile(file), body);
    });

    test('follows redirects', async () => {
      routes.set('/moved', (_req, res) => res.writeHead(302, { location: '/body' }).end());
      const result = await downloader.fetch({ url: `${base}/moved`, dest: dest() });
      assert.equal(result.sha256, sha(body));
    });

    test('streams a chunked body (no Content-Length)', async () => {
      routes.set('/chunked', (_req, res) => {
        res.writeHead(200, { etag: ETAG });
        res.write(body.subarray(0, 1000));
        res.end(body.subarray(1000));
      });
      const result = await downloader.fetch({ url: `${base}/chunked`, dest: dest() });
      assert.equal(result.sha256, sha(body));
      assert.equal(result.sizeBytes, body.length);
    });

    test('HTTP errors, refused connections and timeouts are DownloadErrors naming the cause class and URL', async () => {
      routes.set('/hang', () => undefined);
      routes.set('/stall', (_req, res) => {
        res.writeHead(200, { 'content-length': 100 });
        res.write('x');
      });
      const closed = createServer();
      await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
      const refusedUrl = `http://127.0.0.1:${(closed.address() as AddressInfo).port}/x`;
      await new Promise((resolve) => closed.close(resolve));
      const cases: Array<[string, string]> = [
        [`${base}/missing`, 'http-404'],
        [refusedUrl, 'refused'],
        [`${base}/hang`, 'timeout'],
        [`${base}/stall`, 'timeout'],
      ];
      for (const [url, cause] of cases) {
        await assert.rejects(downloader.fetch({ url, dest: dest() }), (error: unknown) => {
          assert.ok(error instanceof DownloadError, `${url}: ${String(error)}`);
          assert.equal(error.code, 'download-failed', url);
          assert.equal(error.failure.cause, cause, url);
          assert.ok(error.message.includes(url), error.message);
          return true;
        });
      }
    });

    test('an abort rejects with the reason and keeps the bytes received so far', async () => {
      const big = randomBytes(8 * 1024 * 1024);
      routes.set('/slow', (_req, res) => {
        res.writeHead(200, { etag: ETAG, 'content-length': big.length });
        res.write(big.subarray(0, 1024 * 1024));
      });
      const controller = new AbortController();
      const reason = new Error('user pressed Ctrl-C');
      const file = dest();
      const fetching = downloader.fetch({
        url: `${base}/slow`,
        dest: file,
        signal: controller.signal,
        onProgress: (p) => p.bytes >= 1024 * 1024 && controller.abort(reason),
      });
      await assert.rejects(fetching, (error) => error === reason);
      assert.equal((await stat(file)).size, 1024 * 1024);
    });

    test('the caller’s onStart failure stops the download before any byte is written', async () => {
      const file = dest();
      const failure = new Error('cannot write the sidecar');
      await assert.rejects(
        downloader.fetch({ url: `${base}/body`, dest: file, onStart: () => Promise.reject(failure) }),
        (error) => error === failure,
      );
      assert.equal((await stat(file)).size, 0);
    });

    test('file:// URLs are refused (the daemon opens no path it is handed); uploads are received', async () => {
      const src = join(dir, 'source.img');
      await writeFile(src, body);
      await assert.rejects(
        downloader.fetch({ url: pathToFileURL(src).href, dest: dest() }),
        /unsupported URL scheme file:/,
      );
      const received = await downloader.receive({
        input: Readable.from([body.subarray(0, 1000), body.subarray(1000)]),
        name: '/home/u/source.img',
        sizeBytes: body.length,
        dest: dest(),
      });
      assert.equal(received.sha256, sha(body));
      assert.equal(received.sizeBytes, body.length);
      for (const [sizeBytes, message] of [
        [body.length + 1, /upload of \/home\/u\/x\.img ended after \d+ of the \d+ bytes declared/],
        [body.length - 1, /upload of \/home\/u\/x\.img sent more than the \d+ bytes declared/],
      ] as const) {
        const file = dest();
        await assert.rejects(
          downloader.receive({ input: Readable.from([body]), name: '/home/u/x.img', sizeBytes, dest: file }),
          message,
        );
        assert.equal(await stat(file).catch(() => null), null, 'nothing is left of a refused upload');
      }
      await assert.rejects(downloader.fetch({ url: 'ftp://x/y', dest: dest() }), /unsupported URL scheme/);
    });
  });
