import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { HashingFileSink } from './hashing-sink.js';
import { WriterThread } from './writer-thread.js';

const sha = (data: Buffer) => createHash('sha256').update(data).digest('hex');
let dir: string;
const writer = new WriterThread();
before(async () => (dir = await mkdtemp(join(tmpdir(), 'skiff-sink-'))));
after(async () => {
  await writer.close();
  await rm(dir, { recursive: true, force: true });
});

test('writes chunks in order and hashes them inline', async () => {
  const path = join(dir, 'a');
  const data = randomBytes(3 * 1024 * 1024 + 5);
  const sink = await HashingFileSink.open(path, 'truncate', writer);
  for (let i = 0; i < data.length; i += 65536) sink.write(data.subarray(i, i + 65536));
  assert.deepEqual(await sink.finish(), { sha256: sha(data), sizeBytes: data.length });
  assert.deepEqual(await readFile(path), data);
});

test('append hashes the existing bytes first, so the digest covers the whole file', async () => {
  const path = join(dir, 'b');
  const data = randomBytes(5 * 1024 * 1024);
  await writeFile(path, data.subarray(0, 4_500_000));
  const sink = await HashingFileSink.open(path, 'append', writer);
  assert.equal(sink.bytes, 4_500_000);
  sink.write(data.subarray(4_500_000));
  assert.deepEqual(await sink.finish(), { sha256: sha(data), sizeBytes: data.length });
  assert.deepEqual(await readFile(path), data);
});

test('asks the producer to wait above the high-water mark and wakes it once drained', async () => {
  const sink = await HashingFileSink.open(join(dir, 'c'), 'truncate', writer);
  const chunk = Buffer.alloc(1024 * 1024, 3);
  let accepted = 0;
  while (sink.write(chunk)) accepted++;
  assert.ok(accepted >= 30 && accepted < 40, `accepted ${accepted} MiB before asking to wait`);
  await sink.drained();
  assert.ok(sink.bytes >= (accepted + 1) * chunk.length);
  await sink.finish();
});

test('close keeps everything accepted; abort drops what was not sent to the writer, leaving a prefix', async () => {
  const data = Buffer.concat(Array.from({ length: 9 }, (_, i) => Buffer.alloc(1024 * 1024, i)));
  const kept = await HashingFileSink.open(join(dir, 'd'), 'truncate', writer);
  for (let i = 0; i < data.length; i += 1024 * 1024) kept.write(data.subarray(i, i + 1024 * 1024));
  await kept.close();
  assert.deepEqual(await readFile(join(dir, 'd')), data);
  const dropped = await HashingFileSink.open(join(dir, 'e'), 'truncate', writer);
  for (let i = 0; i < data.length; i += 1024 * 1024) dropped.write(data.subarray(i, i + 1024 * 1024));
  await dropped.abort();
  const written = await readFile(join(dir, 'e'));
  assert.ok(written.length < data.length, 'the slot being filled was dropped');
  assert.deepEqual(written, data.subarray(0, written.length));
});
