import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { UploadSlots } from './uploads.js';

test('an upload reaches the launch waiting for its token, once, and only with the declared size', async () => {
  const slots = new UploadSlots();
  const token = slots.newToken();
  assert.match(token, /^[0-9a-f]{32}$/);
  assert.notEqual(slots.newToken(), token);
  const waiting = slots.expect(token, 5);
  assert.throws(() => slots.deliver(slots.newToken(), 5, Readable.from(['hello'])), {
    code: 'not-found',
  });
  assert.throws(() => slots.deliver(token, 6, Readable.from(['hello!'])), {
    code: 'invalid-argument',
    message: /6 bytes long, the launch declared 5/,
  });
  const body = Readable.from(['hello']);
  slots.deliver(token, 5, body);
  assert.equal(await waiting, body);
  assert.throws(() => slots.deliver(token, 5, Readable.from(['again'])), { code: 'not-found' }, 'used up');
  assert.equal(slots.size, 0);
});

test('a launch that ends closes its slot: the wait rejects and a late upload finds nothing', async () => {
  const slots = new UploadSlots();
  const token = slots.newToken();
  const controller = new AbortController();
  const waiting = slots.expect(token, 1, controller.signal);
  const reason = new Error('launch timed out');
  controller.abort(reason);
  await assert.rejects(waiting, (error) => error === reason);
  assert.throws(() => slots.deliver(token, 1, Readable.from(['x'])), { code: 'not-found' });
  assert.equal(slots.size, 0);
});
