import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readdir, writeFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readJson, writeJsonAtomic } from './atomic-json.js';

test('round-trips data with its schema version and leaves no temp file', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'skiff-atomic-'));
  try {
    const path = join(dir, 'sub', 'state.json');
    await writeJsonAtomic(path, 3, { a: [1, 2] });
    assert.deepEqual(await readJson(path, 3), { a: [1, 2] });
    await writeJsonAtomic(path, 3, { a: [] });
    assert.deepEqual(await readJson(path, 3), { a: [] });
    assert.deepEqual(await readdir(join(dir, 'sub')), ['state.json']);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('missing file reads as null; corrupt or foreign-schema files are errors', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'skiff-atomic-'));
  try {
    assert.equal(await readJson(join(dir, 'none.json'), 1), null);
    await writeFile(join(dir, 'torn.json'), '{"schema":1,"da');
    await assert.rejects(readJson(join(dir, 'torn.json'), 1), /not valid JSON/);
    await writeJsonAtomic(join(dir, 'old.json'), 1, {});
    await assert.rejects(readJson(join(dir, 'old.json'), 2), /schema 1, expected 2/);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
