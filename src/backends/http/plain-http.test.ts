import { test } from 'node:test';
import assert from 'node:assert/strict';
import { canUsePlainHttp, parseHead } from './plain-http.js';

test('parseHead: status, lower-cased headers (repeats joined), and where the body starts', () => {
  const raw = Buffer.from(
    'HTTP/1.1 206 Partial Content\r\nETag: "x"\r\nVia: a\r\nvia: b\r\nContent-Length: 3\r\n\r\nabc',
  );
  assert.deepEqual(parseHead(raw), {
    status: 206,
    headers: { etag: '"x"', via: 'a, b', 'content-length': '3' },
    length: raw.length - 3,
  });
  assert.equal(parseHead(Buffer.from('HTTP/1.1 200 OK\r\nContent-Le')), null, 'incomplete');
  assert.throws(() => parseHead(Buffer.from('SSH-2.0-OpenSSH\r\n\r\n')), /not an HTTP\/1.x status line/);
  assert.throws(() => parseHead(Buffer.from('HTTP/1.1 200 OK\r\nno colon\r\n\r\n')), /bad header line/);
  assert.throws(() => parseHead(Buffer.alloc(70 * 1024, 'a')), /larger than 64 KiB/);
});

test('canUsePlainHttp: plain http only, never with a proxy configured or unsafe header values', () => {
  const ok = { 'user-agent': 'skiff' };
  assert.equal(canUsePlainHttp(new URL('http://mirror/a.img'), ok, {}), true);
  assert.equal(canUsePlainHttp(new URL('https://mirror/a.img'), ok, {}), false);
  assert.equal(canUsePlainHttp(new URL('http://u:p@mirror/a.img'), ok, {}), false);
  assert.equal(
    canUsePlainHttp(new URL('http://mirror/a.img'), ok, { HTTP_PROXY: 'http://proxy:3128' }),
    false,
  );
  assert.equal(
    canUsePlainHttp(new URL('http://mirror/a.img'), ok, { http_proxy: 'http://proxy:3128' }),
    false,
  );
  assert.equal(canUsePlainHttp(new URL('http://mirror/a.img'), { 'if-range': '"a"\r\nx: y' }, {}), false);
});
