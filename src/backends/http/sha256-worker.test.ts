import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { Sha256Worker } from './sha256-worker.js';

test('hashes moved buffers in order, hands them back, and digests', async () => {
  const hasher = new Sha256Worker();
  try {
    const back: number[] = [];
    const job = hasher.job(
      (seq, buffer) => back.push(seq, buffer.byteLength),
      (error) => assert.fail(error),
    );
    const parts = ['hello ', 'world'].map((text) => Buffer.from(text));
    parts.forEach((part, seq) => {
      const buffer = new ArrayBuffer(64);
      Buffer.from(buffer).set(part);
      job.update(buffer, part.length, seq);
      assert.equal(buffer.byteLength, 0, 'moved to the worker, not copied');
    });
    assert.equal(await job.digest(), createHash('sha256').update('hello world').digest('hex'));
    assert.deepEqual(back, [0, 64, 1, 64]);
  } finally {
    await hasher.close();
  }
});

test('a failure in the worker reaches the job and its digest', async () => {
  const hasher = new Sha256Worker();
  try {
    const errors: Error[] = [];
    const job = hasher.job(
      () => undefined,
      (error) => errors.push(error),
    );
    job.hashFile('/nonexistent/skiff-test', 10);
    await assert.rejects(job.digest(), /ENOENT/);
    assert.equal(errors.length, 1);
    // The worker survives for other jobs.
    const next = hasher.job(
      () => undefined,
      () => undefined,
    );
    assert.equal(await next.digest(), createHash('sha256').digest('hex'));
  } finally {
    await hasher.close();
  }
});

test('an idle worker stops after a while and a new job starts another', async () => {
  const hasher = new Sha256Worker({ idleMs: 20 });
  try {
    const noop = () => undefined;
    assert.equal(await hasher.job(noop, noop).digest(), createHash('sha256').digest('hex'));
    await new Promise((resolve) => setTimeout(resolve, 100));
    assert.equal(await hasher.job(noop, noop).digest(), createHash('sha256').digest('hex'));
  } finally {
    await hasher.close();
  }
});
