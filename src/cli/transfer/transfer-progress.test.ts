import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, open, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { localFileBytes, readOffsetOf, showTransferProgress } from './transfer-progress.js';

test('an upload is followed by the read offset of the descriptor on the file, a download by its size', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'skiff-progress-'));
  try {
    const path = join(dir, 'source.bin');
    await writeFile(path, Buffer.alloc(4096, 7));
    assert.equal(await localFileBytes(path)(), 4096);
    assert.equal(await localFileBytes(join(dir, 'not yet'))(), null);
    const file = await open(path, 'r');
    try {
      const counter = readOffsetOf(process.pid, path);
      await file.read(Buffer.alloc(1000), 0, 1000, null);
      assert.equal(await counter(), 1000);
      await file.read(Buffer.alloc(500), 0, 500, null);
      assert.equal(await counter(), 1500);
    } finally {
      await file.close();
    }
    assert.equal(await readOffsetOf(process.pid, join(dir, 'never opened'))(), null);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('no bar when stderr is not a terminal', () => {
  const stream = new PassThrough() as unknown as NodeJS.WriteStream;
  let asked = 0;
  const stop = showTransferProgress({
    stream,
    label: 'x',
    totalBytes: 2 ** 30,
    count: async () => (asked++, 0),
  });
  stop();
  assert.equal(asked, 0);
  assert.equal((stream as unknown as PassThrough).read(), null);
});
