import { afterEach, beforeEach, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SkiffError } from '../../core/errors.js';
import { readJson } from './atomic-json.js';
import { backupPath, loadStateFile, writeStateFile, type Decoded } from './state-file.js';

const NOW = Date.UTC(2026, 10, 27, 10, 15, 0, 123);
let dir: string;
let path: string;

/** Numbers are kept, anything else dropped; a non-list is unusable. */
function decodeNumbers(data: unknown): Decoded<number[]> {
  if (!Array.isArray(data)) throw new SkiffError('internal', 'expected a list');
  const value = data.filter((v): v is number => typeof v === 'number');
  const dropped = data.filter((v) => typeof v !== 'number').map((v) => `dropped ${JSON.stringify(v)}`);
  return { value, dropped };
}
const load = () => loadStateFile({ path, schema: 1, decode: decodeNumbers, now: NOW });

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'skiff-state-'));
  path = join(dir, 'state.json');
});
afterEach(() => rm(dir, { recursive: true, force: true }));

test('each write keeps the version it replaces as .bak', async () => {
  await writeStateFile(path, 1, [1]);
  assert.deepEqual(await readdir(dir), ['state.json'], 'nothing to keep on the first write');
  await writeStateFile(path, 1, [1, 2]);
  await writeStateFile(path, 1, [1, 2, 3]);
  assert.deepEqual(await readJson(path, 1), [1, 2, 3]);
  assert.deepEqual(await readJson(backupPath(path), 1), [1, 2]);
  assert.deepEqual((await readdir(dir)).sort(), ['state.json', 'state.json.bak']);
});

test('a good file loads as is; a missing one is missing', async () => {
  assert.deepEqual(await load(), { value: null, source: 'missing', problems: [], keptAs: null });
  await writeStateFile(path, 1, [4, 5]);
  assert.deepEqual(await load(), { value: [4, 5], source: 'file', problems: [], keptAs: null });
});

for (const [what, content, problem] of [
  ['truncated', '{"schema":1,"data":[1,2', /not valid JSON/],
  ['empty', '', /not valid JSON/],
  ['JSON null', 'null', /not a \{schema, data\} object/],
  ['another schema', '{"schema":7,"data":[]}', /schema 7, expected 1/],
  ['wrong-typed data', '{"schema":1,"data":{"a":1}}', /expected a list/],
] as const) {
  test(`a ${what} file is set aside and the backup used, and put back in place`, async () => {
    await writeStateFile(path, 1, [1]);
    await writeStateFile(path, 1, [1, 2]);
    await writeFile(path, content);
    const loaded = await load();
    assert.equal(loaded.source, 'backup');
    assert.deepEqual(loaded.value, [1]);
    assert.match(loaded.problems[0]!, problem);
    assert.equal(loaded.keptAs, `${path}.corrupt-20261127T101500.123Z`);
    assert.equal(await readFile(loaded.keptAs, 'utf8'), content, 'the bad file is kept for inspection');
    assert.deepEqual(await readJson(path, 1), [1], 'the backup is the file again');
  });
}

test('with no usable backup it starts empty, and says so', async () => {
  await writeFile(path, '{"schema":1,"da');
  const loaded = await load();
  assert.deepEqual(
    { ...loaded, problems: loaded.problems.length },
    { value: null, source: 'none-usable', problems: 2, keptAs: `${path}.corrupt-20261127T101500.123Z` },
  );
  assert.match(loaded.problems[1]!, /no backup/);
  await writeFile(path, 'garbage');
  await writeFile(backupPath(path), 'garbage too');
  const again = await loadStateFile({ path, schema: 1, decode: decodeNumbers, now: NOW + 1 });
  assert.equal(again.source, 'none-usable');
  assert.match(again.problems[1]!, /^backup: .*not valid JSON/);
});

test('entries that fail the decoder are dropped and listed; a copy of the file is kept', async () => {
  await writeFile(path, JSON.stringify({ schema: 1, data: [1, 'x', 2, null] }));
  const loaded = await load();
  assert.deepEqual(loaded.value, [1, 2]);
  assert.equal(loaded.source, 'file');
  assert.deepEqual(loaded.problems, ['dropped "x"', 'dropped null']);
  assert.match(await readFile(loaded.keptAs!, 'utf8'), /"x"/);
});

test('temp files of an interrupted write, also of the backup, are cleared on load', async () => {
  await writeStateFile(path, 1, [1]);
  await writeFile(join(dir, '.state.json.abc123.tmp'), 'half');
  await writeFile(join(dir, '.state.json.bak.def456.tmp'), 'half');
  assert.equal((await load()).source, 'file');
  assert.deepEqual(await readdir(dir), ['state.json']);
});
