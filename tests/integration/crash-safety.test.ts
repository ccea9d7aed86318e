/**
 * kill -9 during a state write: a process rewrites a state file as fast as it can and is killed at random
 * moments; every time, the file that is left is a complete old or new version, never a torn one.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { readJson } from '../../src/services/persist/atomic-json.js';
import { removeTempFiles } from '../../src/services/persist/atomic-file.js';
import { sleep } from '../harness/skiff-process.js';

const MODULE = fileURLToPath(new URL('../../src/services/persist/atomic-json.js', import.meta.url));

const WRITER = `
const { readJson, writeJsonAtomic } = await import(${JSON.stringify(MODULE)});
const path = process.argv[1];
// Carry on from the version on disk, so versions only grow. About 1 MB a write: a kill lands mid-write.
for (let n = ((await readJson(path, 1))?.n ?? 0) + 1; ; n++) await writeJsonAtomic(path, 1, { n, filler: 'x'.repeat(1_000_000), check: n * 7 });
`;

test('kill -9 in the middle of state writes never leaves a torn file', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'skiff-crash-'));
  const path = join(dir, 'instances.json');
  try {
    let seen = 0;
    for (let round = 0; round < 20; round++) {
      const child = spawn(process.execPath, ['--input-type=module', '-e', WRITER, path], { stdio: 'ignore' });
      await sleep(60 + Math.floor(Math.random() * 140));
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGKILL');
      await exited;
      const data = await readJson<{ n: number; filler: string; check: number }>(path, 1);
      if (data === null) continue;
      assert.equal(data.check, data.n * 7, 'the file is one complete version');
      assert.equal(data.filler.length, 1_000_000);
      assert.ok(data.n >= seen, 'never an older version than one already seen');
      seen = data.n;
    }
    assert.ok(seen > 0, 'writes happened before the kills');
    // Temp files of interrupted writes are what a crash leaves; loading the state clears them.
    const leftovers = (await readdir(dir)).filter((f) => f !== 'instances.json');
    assert.ok(
      leftovers.every((f) => f.startsWith('.instances.json.') && f.endsWith('.tmp')),
      leftovers.join(','),
    );
    await removeTempFiles(path);
    assert.deepEqual(await readdir(dir), ['instances.json']);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
