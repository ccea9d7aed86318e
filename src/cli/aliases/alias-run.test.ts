import assert from 'node:assert/strict';
import { test } from 'node:test';
import { addAlias, emptyDict } from './alias-dict.js';
import { aliasArgv } from './alias-run.js';

const dict = addAlias(
  addAlias(emptyDict(), 'lsl', { instance: 'box', command: 'ls -l', 'working-directory': 'map' }),
  'home',
  { instance: 'box', command: 'pwd', 'working-directory': 'default' },
);

test('an alias becomes exec on its instance, its command split at spaces, the arguments passed as given', () => {
  assert.deepEqual(aliasArgv(['lsl', '--', '-a', 'my file'], 0, dict), [
    'exec',
    'box',
    '--',
    'ls',
    '-l',
    '-a',
    'my file',
  ]);
  assert.deepEqual(aliasArgv(['-v', 'lsl'], 1, dict), ['-v', 'exec', 'box', '--', 'ls', '-l']);
  assert.deepEqual(aliasArgv(['lsl', 'x', '--', 'y'], 0, dict), [
    'exec',
    'box',
    '--',
    'ls',
    '-l',
    'x',
    '--',
    'y',
  ]);
});

test('an alias made with --no-map-working-directory keeps the default directory', () => {
  assert.deepEqual(aliasArgv(['default.home', '--'], 0, dict), [
    'exec',
    '--no-map-working-directory',
    'box',
    '--',
    'pwd',
  ]);
});

test('a word that is no alias is left alone', () => {
  assert.equal(aliasArgv(['nope'], 0, dict), undefined);
  assert.equal(aliasArgv([], 0, dict), undefined);
});
