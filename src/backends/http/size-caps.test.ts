/**
 * Size caps against a server that sends more than it should: a catalog file over its cap, an image longer
 * than the size its catalog states. Each fails with the `too-large` cause as soon as the cap is passed; an
 * endless body proves the transfer is cut, not read to its end.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server, type ServerResponse } from 'node:http';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FetchError } from '../../core/fetch-error.js';
import { UndiciDownloader } from './downloader.js';
import { UndiciHttpGetter } from './http-getter.js';

const MIB = 1024 * 1024;
const piece = Buffer.alloc(64 * 1024, 'x');

/** Writes pieces until the client goes away (with backpressure); counts what it sent. */
function endless(res: ServerResponse, sent: { bytes: number }): void {
  const pump = (): void => {
    while (!res.destroyed) {
      sent.bytes += piece.length;
      if (!res.write(piece)) return void res.once('drain', pump);
    }
  };
  res.on('error', () => undefined);
  pump();
}

let server: Server;
let base: string;
let dir: string;
const sent = { bytes: 0 };
before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'skiff-caps-'));
  server = createServer((req, res) => {
    if (req.url === '/sized') {
      res.writeHead(200, { 'content-length': 2 * MIB });
      return void res.end(Buffer.alloc(2 * MIB, 1));
    }
    res.writeHead(200, { 'content-type': 'application/json' }); // chunked, no length
    endless(res, sent);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
after(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
  await rm(dir, { recursive: true, force: true });
});

const tooLarge = (url: string, pattern: RegExp) => (error: unknown) => {
  assert.ok(error instanceof FetchError, String(error));
  assert.equal(error.failure.cause, 'too-large');
  assert.equal(error.failure.url, url);
  assert.match(error.message, pattern);
  return true;
};

describe('UndiciHttpGetter (catalog files)', () => {
  const getter = new UndiciHttpGetter();
  after(() => getter.close());

  test('a Content-Length over the cap fails before the body is read', async () => {
    const url = `${base}/sized`;
    await assert.rejects(
      getter.get(url, { signal: AbortSignal.timeout(10_000), maxBytes: MIB }),
      tooLarge(url, /too large: over the 1 MiB cap \(it says 2097152 bytes\)/),
    );
  });

  test('an endless body is cut at the cap', async () => {
    const url = `${base}/endless.json`;
    sent.bytes = 0;
    await assert.rejects(
      getter.get(url, { signal: AbortSignal.timeout(10_000), maxBytes: MIB }),
      tooLarge(url, /too large: over the 1 MiB cap \(the transfer was stopped there\)/),
    );
  });

  test('a body within the cap is returned whole', async () => {
    const result = await getter.get(`${base}/sized`, {
      signal: AbortSignal.timeout(10_000),
      maxBytes: 2 * MIB,
    });
    assert.equal(result.notModified, false);
    assert.equal(!result.notModified && result.body.length, 2 * MIB);
  });
});

for (const plainHttp of [true, false])
  describe(`UndiciDownloader with the size a catalog states (${plainHttp ? 'plain' : 'undici'} path)`, () => {
    const downloader = new UndiciDownloader({ plainHttp });
    after(() => downloader.close());

    test('a response announcing more fails before any byte is written', async () => {
      const url = `${base}/sized`;
      const dest = join(dir, `announced-${plainHttp}`);
      await assert.rejects(
        downloader.fetch({ url, dest, maxBytes: MIB }),
        tooLarge(url, /stated to have 1048576 bytes, but the server announces 2097152 bytes/),
      );
      assert.equal((await stat(dest).catch(() => null))?.size ?? 0, 0);
    });

    test('a body longer than stated is cut at the stated size', async () => {
      const url = `${base}/endless.img`;
      const dest = join(dir, `endless-${plainHttp}`);
      await assert.rejects(
        downloader.fetch({ url, dest, maxBytes: MIB }),
        tooLarge(url, /stated to have 1048576 bytes, but the transfer was cut there/),
      );
      assert.ok((await stat(dest)).size <= MIB);
    });

    test('exactly the stated size downloads', async () => {
      const result = await downloader.fetch({
        url: `${base}/sized`,
        dest: join(dir, `ok-${plainHttp}`),
        maxBytes: 2 * MIB,
      });
      assert.equal(result.sizeBytes, 2 * MIB);
    });
  });
