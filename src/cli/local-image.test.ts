import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { isLocalImage, openLocalImage } from './local-image.js';

const dir = await mkdtemp(join(tmpdir(), 'skiff-local-image-'));
after(() => rm(dir, { recursive: true, force: true }));

test('file:// arguments are local images; others are not', () => {
  assert.equal(isLocalImage('file:///a.img'), true);
  assert.equal(isLocalImage(' FILE:///a.img'), true);
  assert.equal(isLocalImage('noble'), false);
  assert.equal(isLocalImage('https://x/file:'), false);
  assert.equal(isLocalImage(undefined), false);
});

test('a readable file is opened once and streams exactly its announced size', async () => {
  const path = join(dir, 'disk.img');
  await writeFile(path, 'twelve bytes');
  const image = await openLocalImage(pathToFileURL(path).href);
  try {
    assert.equal(image.path, path);
    assert.equal(image.sizeBytes, 12);
    // Bytes appended after the open are not sent: the daemon was told 12.
    await writeFile(path, ' and more', { flag: 'a' });
    const chunks: Buffer[] = [];
    for await (const chunk of image.stream()) chunks.push(chunk as Buffer);
    assert.equal(Buffer.concat(chunks).toString(), 'twelve bytes');
  } finally {
    await image.close();
  }
});

test('what cannot be sent is refused naming the path, before the daemon hears of it', async () => {
  const empty = join(dir, 'empty.img');
  await writeFile(empty, '');
  const fifo = join(dir, 'fifo.img');
  execFileSync('mkfifo', [fifo]);
  const cases: Array<[string, string, RegExp]> = [
    ['file://host/x.img', 'invalid-argument', /not a usable file:\/\/ URI: .*file:\/\/\/absolute\/path/],
    [pathToFileURL(join(dir, 'nope.img')).href, 'not-found', /nope\.img does not exist/],
    [pathToFileURL(dir).href, 'invalid-argument', /is not a regular file/],
    [pathToFileURL(fifo).href, 'invalid-argument', /fifo\.img is not a regular file/],
    [pathToFileURL(empty).href, 'invalid-argument', /empty\.img is empty/],
  ];
  for (const [uri, code, message] of cases) {
    await assert.rejects(openLocalImage(uri), { code, message }, uri);
  }
});
