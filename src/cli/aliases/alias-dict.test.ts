import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  addAlias,
  contextAndAlias,
  emptyDict,
  findAlias,
  isEmpty,
  parseDict,
  preferContext,
  removeAlias,
  removeInstanceAliases,
  serializeDict,
  type AliasDefinition,
} from './alias-dict.js';

const def = (instance: string, command: string): AliasDefinition => ({
  instance,
  command,
  'working-directory': 'map',
});

test('a new dictionary has the default context, active and empty', () => {
  assert.deepEqual(emptyDict(), { 'active-context': 'default', contexts: { default: {} } });
  assert.equal(isEmpty(emptyDict()), true);
});

test('aliases are added to the active context; a second one with the same name there is refused', () => {
  const dict = addAlias(emptyDict(), 'lsa', def('a', 'ls'));
  assert.deepEqual(findAlias(dict, 'lsa'), def('a', 'ls'));
  assert.throws(
    () => addAlias(dict, 'lsa', def('b', 'ls')),
    /^SkiffError: Alias 'lsa' already exists in current context$/,
  );
  const other = addAlias(preferContext(dict, 'work'), 'lsa', def('b', 'ls -l'));
  assert.deepEqual(Object.keys(other.contexts).sort(), ['default', 'work']);
});

test('a bare name means the active context, then a name only one context has, then CONTEXT.NAME', () => {
  let dict = addAlias(emptyDict(), 'x', def('a', 'x'));
  dict = addAlias(preferContext(dict, 'work'), 'x', def('b', 'x'));
  dict = addAlias(dict, 'only', def('b', 'only'));
  assert.equal(findAlias(dict, 'x')?.instance, 'b', 'active context wins');
  assert.equal(findAlias(preferContext(dict, 'third'), 'x'), undefined, 'ambiguous outside both');
  assert.equal(findAlias(preferContext(dict, 'third'), 'only')?.instance, 'b', 'unique in one context');
  assert.equal(findAlias(dict, 'default.x')?.instance, 'a');
  assert.equal(findAlias(dict, 'nope.x'), undefined);
  assert.deepEqual(contextAndAlias(dict, 'x'), ['work', 'x']);
  assert.deepEqual(contextAndAlias(dict, 'default.x'), ['default', 'x']);
  assert.equal(contextAndAlias(dict, 'missing'), undefined);
  assert.equal(findAlias(removeAlias(dict, 'work', 'x'), 'x')?.instance, 'a');
});

test('purging an instance removes its aliases in every context and the context named after it', () => {
  let dict = addAlias(emptyDict(), 'a1', def('a', 'ls'));
  dict = addAlias(dict, 'b1', def('b', 'ls'));
  dict = addAlias(preferContext(dict, 'a'), 'b2', def('b', 'pwd'));
  const { dict: after, removed } = removeInstanceAliases(dict, 'a');
  assert.deepEqual(removed.sort(), [
    ['a', 'b2'],
    ['default', 'a1'],
  ]);
  assert.equal(after['active-context'], 'default', 'the active context went with the instance');
  assert.deepEqual(Object.keys(after.contexts.default!), ['b1']);
  assert.equal(after.contexts.a, undefined);
});

test('the file is Multipass shape, sorted, without empty inactive contexts, and reads back', () => {
  let dict = addAlias(emptyDict(), 'zz', def('a', 'ls'));
  dict = addAlias(dict, 'aa', { instance: 'a', command: 'pwd', 'working-directory': 'default' });
  dict = preferContext(preferContext(dict, 'empty'), 'default');
  const text = serializeDict(dict);
  assert.equal(
    text,
    `${JSON.stringify(
      {
        'active-context': 'default',
        contexts: {
          default: {
            aa: { instance: 'a', command: 'pwd', 'working-directory': 'default' },
            zz: { instance: 'a', command: 'ls', 'working-directory': 'map' },
          },
        },
      },
      null,
      4,
    )}\n`,
  );
  assert.deepEqual(parseDict(text, 'f'), {
    'active-context': 'default',
    contexts: JSON.parse(text).contexts,
  });
});

test('files from before contexts, empty files and bad fields', () => {
  assert.deepEqual(parseDict('{"ll": {"instance": "a", "command": "ls -l"}}', 'f'), {
    'active-context': 'default',
    contexts: { default: { ll: { instance: 'a', command: 'ls -l', 'working-directory': 'default' } } },
  });
  assert.deepEqual(parseDict('{}', 'f'), emptyDict());
  assert.throws(() => parseDict('nope', '/x.json'), /aliases file \/x\.json is not JSON/);
  assert.throws(
    () => parseDict('{"active-context": "default", "contexts": {"default": {"a": {"instance": 1}}}}', 'f'),
    /contexts\.default\.a needs string "instance" and "command"/,
  );
  assert.throws(
    () =>
      parseDict(
        '{"active-context": "default", "contexts": {"default": {"a": {"instance": "i", "command": "c", "working-directory": "up"}}}}',
        'f',
      ),
    /contexts\.default\.a\.working-directory is not "map" or "default"/,
  );
});
