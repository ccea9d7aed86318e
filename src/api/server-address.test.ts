import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatServerAddress, parseServerAddress } from './server-address.js';

test('HOST:PORT, [IPv6]:PORT and unix:PATH parse', () => {
  assert.deepEqual(parseServerAddress('127.0.0.1:50051', 'x'), {
    kind: 'tcp',
    host: '127.0.0.1',
    port: 50051,
  });
  assert.deepEqual(parseServerAddress('skiff.example:1', 'x'), {
    kind: 'tcp',
    host: 'skiff.example',
    port: 1,
  });
  assert.deepEqual(parseServerAddress('[::1]:443', 'x'), { kind: 'tcp', host: '::1', port: 443 });
  assert.deepEqual(parseServerAddress('unix:/run/s.sock', 'x'), { kind: 'unix', path: '/run/s.sock' });
});

test('bad addresses name the field and say why', () => {
  for (const [text, why] of [
    ['127.0.0.1', /expected HOST:PORT or unix:PATH/],
    ['127.0.0.1:0', /between 1 and 65535/],
    ['127.0.0.1:70000', /between 1 and 65535/],
    ['::1:80', /expected HOST:PORT/],
    ['[nothost]:80', /only an IPv6 address/],
    ['bad_host:80', /neither an IP address nor a host name/],
    ['unix:relative', /absolute/],
  ] as const) {
    assert.throws(
      () => parseServerAddress(text, 'SKIFF_SERVER_ADDRESS'),
      (error: Error & { code?: string }) =>
        error.code === 'invalid-argument' &&
        error.message.startsWith('SKIFF_SERVER_ADDRESS') &&
        why.test(error.message),
      text,
    );
  }
  assert.throws(() => parseServerAddress('unix:/x', '--address', false), /expected HOST:PORT/);
});

test('addresses format back as written', () => {
  for (const text of ['10.0.0.1:50051', '[::1]:443', 'unix:/run/s.sock', 'host:1'])
    assert.equal(formatServerAddress(parseServerAddress(text, 'x')), text);
});
