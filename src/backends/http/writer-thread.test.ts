import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { closeSync, openSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { WriterThread } from './writer-thread.js';

let dir: string;
before(async () => (dir = await mkdtemp(join(tmpdir(), 'skiff-writer-'))));
after(() => rm(dir, { recursive: true, force: true }));

function slot(text: string): ArrayBuffer {
  const buffer = new ArrayBuffer(64);
  Buffer.from(buffer).write(text);
  return buffer;
}

test('writes moved buffers in order at their positions, hands them back, closes the file', async () => {
  const writer = new WriterThread();
  try {
    const path = join(dir, 'a');
    const back: Array<[number, number]> = [];
    const job = writer.job(
      openSync(path, 'w'),
      (seq, buffer) => back.push([seq, buffer.byteLength]),
      (error) => assert.fail(error),
    );
    const first = slot('hello ');
    job.write(first, 6, 0, 0);
    assert.equal(first.byteLength, 0, 'moved to the thread, not copied');
    job.write(slot('world'), 5, 6, 1);
    await job.close();
    assert.equal(await readFile(path, 'utf8'), 'hello world');
    assert.deepEqual(back, [
      [0, 64],
      [1, 64],
    ]);
  } finally {
    await writer.close();
  }
});

test('a write error reaches the job with its errno code, later writes are skipped', async () => {
  const writer = new WriterThread();
  try {
    const errors: Error[] = [];
    // A read-only descriptor: every write fails with EBADF.
    const path = join(dir, 'b');
    closeSync(openSync(path, 'w'));
    const job = writer.job(
      openSync(path, 'r'),
      () => assert.fail('nothing can be written'),
      (error) => errors.push(error),
    );
    job.write(slot('x'), 1, 0, 0);
    job.write(slot('y'), 1, 1, 1);
    await job.close();
    assert.equal(errors.length, 1);
    assert.equal((errors[0] as NodeJS.ErrnoException).code, 'EBADF');
  } finally {
    await writer.close();
  }
});

test('discarding skips what is not written yet; an idle thread stops and a new file starts another', async () => {
  const writer = new WriterThread({ idleMs: 20 });
  try {
    const path = join(dir, 'c');
    const job = writer.job(
      openSync(path, 'w'),
      () => undefined,
      () => undefined,
    );
    await job.close({ discard: true });
    await new Promise((resolve) => setTimeout(resolve, 100));
    const again = writer.job(
      openSync(path, 'w'),
      () => undefined,
      (error) => assert.fail(error),
    );
    again.write(slot('z'), 1, 0, 0);
    await again.close();
    assert.equal(await readFile(path, 'utf8'), 'z');
  } finally {
    await writer.close();
  }
});
