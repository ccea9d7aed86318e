import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { resolveArgv } from './command-word.js';

test('commands pass, -V means version, no command at all is bare, an unknown word is reported', async (t) => {
  // An empty alias home: no word here is an alias.
  const home = await mkdtemp(join(tmpdir(), 'skiff-word-'));
  const saved = process.env.XDG_CONFIG_HOME;
  process.env.XDG_CONFIG_HOME = home;
  t.after(async () => {
    if (saved === undefined) delete process.env.XDG_CONFIG_HOME;
    else process.env.XDG_CONFIG_HOME = saved;
    await rm(home, { recursive: true, force: true });
  });
  assert.deepEqual(await resolveArgv(['ls', '--format', 'json']), { argv: ['ls', '--format', 'json'] });
  assert.deepEqual(await resolveArgv(['-v', 'help', 'help']), { argv: ['-v', 'help', 'help'] });
  assert.deepEqual(await resolveArgv(['-V']), { argv: ['version'] });
  assert.deepEqual(await resolveArgv(['--version']), { argv: ['version'] });
  assert.deepEqual(await resolveArgv([]), { argv: [], bare: true });
  assert.deepEqual(await resolveArgv(['-h']), { argv: ['-h'], bare: false });
  assert.deepEqual(await resolveArgv(['lanch', 'noble']), { unknown: 'lanch' });
});
