/**
 * Failures that must stay inside one download: the writer thread dying mid-file, and a pooled connection the
 * server closed while it sat idle.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import { openSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { createServer as createNetServer, type AddressInfo, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isSkiffError } from '../../core/errors.js';
import { UndiciDownloader } from './downloader.js';
import { WRITER_THREAD_SOURCE, WriterThread } from './writer-thread.js';

const MIB = 1024 * 1024;
const sha = (data: Buffer) => createHash('sha256').update(data).digest('hex');
const big = randomBytes(8 * MIB);
const small = randomBytes(MIB + 5);

let dir: string;
let server: Server;
let base: string;
before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'skiff-dl-fail-'));
  server = createServer((req, res) => {
    const data = req.url === '/big' ? big : small;
    res.writeHead(200, { 'content-length': data.length });
    res.end(data);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
after(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
  await rm(dir, { recursive: true, force: true });
});

/** The real thread, except that it dies (as a crash would) when asked to write at 4 MiB or beyond. */
const DIES_AT_4_MIB = `
(async () => {
  const { parentPort } = await import('node:worker_threads');
  parentPort.on('message', (m) => { if (m.op === 'write' && m.position >= ${4 * MIB}) process.exit(3); });
})();
${WRITER_THREAD_SOURCE}`;

for (const plainHttp of [true, false])
  test(`a writer thread that dies fails only its download, with a clear error (${plainHttp ? 'plain' : 'undici'} path)`, async () => {
    const downloader = new UndiciDownloader({
      plainHttp,
      writer: new WriterThread({ source: DIES_AT_4_MIB }),
    });
    try {
      const failed = await downloader.fetch({ url: `${base}/big`, dest: join(dir, 'big') }).then(
        () => assert.fail('the download cannot complete without its writer'),
        (error: unknown) => error,
      );
      assert.ok(isSkiffError(failed), String(failed));
      assert.equal(failed.code, 'internal');
      assert.equal(failed.details?.reason, 'writer-thread');
      assert.match(failed.message, /writer thread stopped unexpectedly \(exit code 3\)/);
      // The same downloader goes on: the next file gets a new thread.
      const next = join(dir, 'small');
      const result = await downloader.fetch({ url: `${base}/small`, dest: next });
      assert.equal(result.sha256, sha(small));
      assert.deepEqual(await readFile(next), small);
    } finally {
      await downloader.close();
    }
  });

test('an idle thread stopping as a new file starts does not fail that file', async () => {
  const writer = new WriterThread();
  try {
    const first = writer.job(openSync(join(dir, 'a'), 'w'), () => undefined, assert.fail);
    await first.close();
    // What the idle timer does, made deterministic: the old thread is told to terminate and, before its exit
    // arrives, the next file starts on a new thread.
    const stopping = writer.close();
    const errors: Error[] = [];
    const written: number[] = [];
    const path = join(dir, 'b');
    const job = writer.job(
      openSync(path, 'w'),
      (seq) => written.push(seq),
      (error) => errors.push(error),
    );
    const buffer = new ArrayBuffer(5);
    Buffer.from(buffer).write('hello');
    job.write(buffer, 5, 0, 0);
    await stopping;
    await job.close();
    assert.deepEqual(errors, []);
    assert.deepEqual(written, [0]);
    assert.equal(await readFile(path, 'utf8'), 'hello');
  } finally {
    await writer.close();
  }
});

/**
 * An HTTP/1.1 server that keeps connections open without announcing a keep-alive timeout and answers one
 * request per connection: a second request on it meets a closed connection (a reset), which is what a client
 * sees when it reuses a connection the instant the server drops it for idleness.
 */
async function oneRequestPerConnection(): Promise<{
  url: string;
  connections: () => number;
  stop: () => Promise<void>;
}> {
  const body = Buffer.alloc(MIB, 7);
  let connections = 0;
  const sockets = new Set<Socket>();
  const server = createNetServer((socket) => {
    connections++;
    sockets.add(socket);
    let answered = false;
    socket.on('error', () => undefined);
    socket.on('data', () => {
      if (answered) return void socket.resetAndDestroy();
      answered = true;
      socket.write(`HTTP/1.1 200 OK\r\ncontent-length: ${body.length}\r\n\r\n`);
      socket.write(body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/x`,
    connections: () => connections,
    stop: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

test('a pooled connection the server closed while idle is replaced, not reported as a reset', async () => {
  const remote = await oneRequestPerConnection();
  const downloader = new UndiciDownloader({ plainHttp: false });
  try {
    await downloader.fetch({ url: remote.url, dest: join(dir, 'k1') });
    const again = await downloader.fetch({ url: remote.url, dest: join(dir, 'k2') });
    assert.equal(again.sizeBytes, MIB);
    assert.equal(remote.connections(), 2, 'the second request was sent again on a new connection');
  } finally {
    await downloader.close();
    await remote.stop();
  }
});
