import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { promisify } from 'node:util';
import { addAlias, emptyDict, preferContext, removeAlias } from './alias-dict.js';
import {
  aliasPaths,
  aliasScript,
  loadAliases,
  pathMessage,
  removeAliasScripts,
  saveAliases,
  writeAliasScripts,
} from './alias-files.js';

test('paths follow XDG, with Multipass-like defaults under the home', () => {
  assert.deepEqual(aliasPaths({}, '/home/u'), {
    file: '/home/u/.config/skiff/skiff_aliases.json',
    scriptsDir: '/home/u/.local/share/skiff/bin',
  });
  assert.deepEqual(aliasPaths({ XDG_CONFIG_HOME: '/c', XDG_DATA_HOME: '/d' }, '/home/u'), {
    file: '/c/skiff/skiff_aliases.json',
    scriptsDir: '/d/skiff/bin',
  });
  assert.match(pathMessage('/d/skiff/bin'), /\n\nPATH="\$PATH:\/d\/skiff\/bin"\n$/);
});

test('scripts: CONTEXT.NAME always, NAME while one context has it; they run skiff NAME -- ARGS', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'skiff-alias-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const paths = { file: join(dir, 'config', 'skiff_aliases.json'), scriptsDir: join(dir, 'bin') };
  // A stand-in for skiff that prints the argv it got, so the script's quoting is checked by a real shell.
  const fake = join(dir, 'fake skiff');
  await writeFile(fake, '#!/bin/sh\nfor a in "$@"; do printf "[%s]" "$a"; done\n', { mode: 0o755 });

  let dict = addAlias(emptyDict(), 'll', { instance: 'a', command: 'ls -l', 'working-directory': 'map' });
  await writeAliasScripts(paths, dict, 'default', 'll', fake);
  assert.deepEqual((await readdir(paths.scriptsDir)).sort(), ['default.ll', 'll']);
  assert.equal(await readFile(join(paths.scriptsDir, 'll'), 'utf8'), aliasScript(fake, 'll'));
  assert.equal((await stat(join(paths.scriptsDir, 'll'))).mode & 0o777, 0o755);
  const run = await promisify(execFile)(join(paths.scriptsDir, 'll'), ["it's", 'two words']);
  assert.equal(run.stdout, "[ll][--][it's][two words]");

  dict = addAlias(preferContext(dict, 'work'), 'll', {
    instance: 'b',
    command: 'ls',
    'working-directory': 'map',
  });
  await writeAliasScripts(paths, dict, 'work', 'll', fake);
  assert.deepEqual(
    (await readdir(paths.scriptsDir)).sort(),
    ['default.ll', 'work.ll'],
    'the bare name is ambiguous',
  );

  dict = removeAlias(dict, 'work', 'll');
  await removeAliasScripts(paths, dict, 'work', 'll', fake);
  assert.deepEqual((await readdir(paths.scriptsDir)).sort(), ['default.ll', 'll'], 'unambiguous again');
  dict = removeAlias(dict, 'default', 'll');
  await removeAliasScripts(paths, dict, 'default', 'll', fake);
  assert.deepEqual(await readdir(paths.scriptsDir), []);

  assert.deepEqual(await loadAliases(paths), emptyDict(), 'no file yet: empty');
  await saveAliases(paths, dict);
  assert.deepEqual(await loadAliases(paths), { 'active-context': 'work', contexts: { work: {} } });
});
