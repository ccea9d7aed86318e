import assert from 'node:assert/strict';
import { test } from 'node:test';
import { KeyedQueue } from './keyed-queue.js';

test('KeyedQueue: one key runs in order past failures; other keys do not wait', async () => {
  const queue = new KeyedQueue();
  const order: string[] = [];
  let release!: () => void;
  const held = new Promise<void>((resolve) => (release = resolve));
  const first = queue.run('a', async () => {
    await held;
    order.push('a1');
    throw new Error('a1 failed');
  });
  const second = queue.run('a', async () => void order.push('a2'));
  await queue.run('b', async () => void order.push('b1'));
  assert.deepEqual(order, ['b1']);
  release();
  await assert.rejects(first, /a1 failed/);
  await second;
  await queue.idle('a');
  assert.deepEqual(order, ['b1', 'a1', 'a2']);
});
