import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { shellJoin } from '../../core/ssh-args.js';
import { parseProbe, PROBE_SCRIPT } from './guest-probe.js';

test('parseProbe reads one answer per path and refuses anything else', () => {
  assert.deepEqual(parseProbe('d\nn\nf 12\nf ?\n', 4), [
    { kind: 'dir' },
    { kind: 'missing' },
    { kind: 'file', sizeBytes: 12 },
    { kind: 'file', sizeBytes: null },
  ]);
  assert.throws(() => parseProbe('d\n', 2), /unexpected answer/);
  assert.throws(() => parseProbe('x\n', 1), /unexpected answer/);
});

test('the probe script, run by a real shell as ssh would (one command line), names each path and runs none', async () => {
  const home = await mkdtemp(join(tmpdir(), 'skiff-probe-'));
  try {
    await mkdir(join(home, 'a dir'));
    await writeFile(join(home, "it's $x"), '12345');
    const marker = join(home, 'pwned');
    const paths = ['a dir', "it's $x", `$(touch ${marker})`, `'; touch ${marker}; '`, '-n', 'missing'];
    // ssh hands the remote login shell one string; skiffd builds it with shellJoin (guest-exec.ts).
    const line = shellJoin(['sh', '-c', PROBE_SCRIPT, 'sh', ...paths]);
    const out = execFileSync('sh', ['-c', line], { env: { ...process.env, HOME: home }, encoding: 'utf8' });
    assert.deepEqual(parseProbe(out, paths.length), [
      { kind: 'dir' },
      { kind: 'file', sizeBytes: 5 },
      { kind: 'missing' },
      { kind: 'missing' },
      { kind: 'missing' },
      { kind: 'missing' },
    ]);
    assert.throws(() => execFileSync('test', ['-e', marker]));
  } finally {
    await rm(home, { recursive: true, force: true });
  }
});
