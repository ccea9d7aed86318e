import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Fastify from 'fastify';
import { installBodyDeadline } from './body-deadline.js';

/** A real server on a Unix socket with the deadline installed and two body-taking routes. */
async function serve(timeoutMs: number) {
  const dir = await mkdtemp(join(tmpdir(), 'skiff-deadline-'));
  const socket = join(dir, 'api.sock');
  const app = Fastify();
  installBodyDeadline(app, { timeoutMs });
  const handled: string[] = [];
  app.post('/short', async (request) => (handled.push('short'), { got: request.body }));
  app.post('/upload', { config: { bodyDeadlineMs: 30_000 } }, async (request) => {
    handled.push('upload');
    return { got: request.body };
  });
  // Answers after the deadline: a long response (an NDJSON stream, say) is not the body's business.
  app.get('/slow-answer', async () => {
    await new Promise((resolve) => setTimeout(resolve, timeoutMs * 3));
    return { ok: true };
  });
  await app.listen({ path: socket });
  return { socket, handled, close: async () => (await app.close(), await rm(dir, { recursive: true })) };
}

/** Sends headers and the first part of a body, then `rest` after `pauseMs`. Resolves with what came back. */
function send(
  socket: string,
  path: string,
  body: string,
  split: number,
  pauseMs: number,
): Promise<{ response: string; closedByServer: boolean }> {
  return new Promise((resolve, reject) => {
    const conn = connect(socket);
    let response = '';
    conn.setEncoding('utf8').on('data', (c: string) => (response += c));
    conn.on('error', (error) => (response ? undefined : reject(error)));
    conn.on('close', () => resolve({ response, closedByServer: !response }));
    conn.write(
      `POST ${path} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body.slice(0, split)}`,
    );
    if (split >= body.length) return;
    const timer = setTimeout(() => conn.writable && conn.write(body.slice(split)), pauseMs);
    conn.on('close', () => clearTimeout(timer));
  });
}

test('a body that stops arriving gets its connection closed and never reaches the handler', async () => {
  const s = await serve(200);
  try {
    const result = await send(s.socket, '/short', '{"name":"x"}', 5, 60_000);
    assert.deepEqual(result, { response: '', closedByServer: true });
    assert.deepEqual(s.handled, []);
  } finally {
    await s.close();
  }
});

test('bodies sent at once are served; a route may allow a slower body; slow answers are not cut', async () => {
  const s = await serve(200);
  try {
    const quick = await send(s.socket, '/short', '{"name":"x"}', 12, 0);
    assert.match(quick.response, /^HTTP\/1.1 200/);
    assert.match(quick.response, /"got":\{"name":"x"\}/);
    const slow = await send(s.socket, '/upload', '{"name":"y"}', 5, 600);
    assert.match(slow.response, /^HTTP\/1.1 200/);
    assert.deepEqual(s.handled, ['short', 'upload']);
    const answer = await new Promise<string>((resolve, reject) => {
      const conn = connect(s.socket);
      let text = '';
      conn.setEncoding('utf8').on('data', (c: string) => (text += c));
      conn.on('close', () => resolve(text));
      conn.on('error', reject);
      conn.write('GET /slow-answer HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
    });
    assert.match(answer, /^HTTP\/1.1 200[\s\S]*"ok":true/);
  } finally {
    await s.close();
  }
});
