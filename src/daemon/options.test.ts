import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SkiffError } from '../core/errors.js';
import { DEFAULT_TUNING } from './catalog-tuning.js';
import { parseDaemonOptions } from './options.js';

const host = { env: {}, uid: 1000, home: '/home/u' };

test('without options the catalog runs on the default tuning, copied so a parse cannot change the defaults', () => {
  const options = parseDaemonOptions([], host);
  assert.deepEqual(options.tuning, DEFAULT_TUNING);
  options.tuning.backoff.initialMs = 1;
  assert.notEqual(DEFAULT_TUNING.backoff.initialMs, 1);
});

test('tuning options override their own field only', () => {
  const { tuning } = parseDaemonOptions(
    ['--retry-initial-ms', '50', '--attempt-timeout-ms', '250', '--no-network-watch'],
    host,
  );
  assert.deepEqual(tuning, {
    ...DEFAULT_TUNING,
    backoff: { ...DEFAULT_TUNING.backoff, initialMs: 50 },
    attemptTimeoutMs: 250,
    watchNetwork: false,
  });
});

test('a bad number is refused naming its option', () => {
  assert.throws(
    () => parseDaemonOptions(['--retry-factor', '-1'], host),
    (error: unknown) =>
      error instanceof SkiffError &&
      error.code === 'invalid-argument' &&
      /--retry-factor/.test(error.message),
  );
});

test('--network-mode: nat or user, from the flag or SKIFF_NETWORK_MODE; unset leaves it to the daemon', () => {
  assert.equal(parseDaemonOptions([], host).networkMode, null);
  assert.equal(parseDaemonOptions(['--network-mode', 'user'], host).networkMode, 'user');
  assert.equal(parseDaemonOptions([], { ...host, env: { SKIFF_NETWORK_MODE: 'nat' } }).networkMode, 'nat');
  assert.equal(
    parseDaemonOptions(['--network-mode', 'user'], { ...host, env: { SKIFF_NETWORK_MODE: 'nat' } })
      .networkMode,
    'user',
  );
  assert.throws(
    () => parseDaemonOptions(['--network-mode', 'bridge'], host),
    /--network-mode: expected nat or user/,
  );
});

test('--remove-network asks for the teardown of the NAT network; it is off by default', () => {
  assert.equal(parseDaemonOptions([], host).removeNetwork, false);
  assert.equal(parseDaemonOptions(['--remove-network', '--data-dir', '/d'], host).removeNetwork, true);
});

test('--address: HOST:PORT for HTTPS, none by default; a bad one is refused naming the option', () => {
  assert.equal(parseDaemonOptions([], host).address, null);
  assert.deepEqual(parseDaemonOptions(['--address', '127.0.0.1:50051'], host).address, {
    host: '127.0.0.1',
    port: 50051,
  });
  assert.deepEqual(parseDaemonOptions(['--address', '[::1]:7'], host).address, { host: '::1', port: 7 });
  for (const bad of ['50051', 'unix:/run/x.sock', 'host:99999'])
    assert.throws(
      () => parseDaemonOptions(['--address', bad], host),
      (error: unknown) =>
        error instanceof SkiffError &&
        error.code === 'invalid-argument' &&
        error.message.startsWith('--address'),
      bad,
    );
});
