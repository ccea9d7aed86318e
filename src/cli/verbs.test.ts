import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Command } from 'commander';
import { VERBS, verbsFor } from './verbs.js';

test('each entry names its verb and aliases exactly as the verb file declares them', async () => {
  for (const entry of VERBS) {
    const verb = await entry.load();
    assert.equal(verb.name, entry.name);
    assert.deepEqual(verb.aliases, entry.aliases ?? [], `aliases of ${entry.name}`);
  }
});

test('every verb registers (option keys checked) in help order', async () => {
  const program = new Command('skiff');
  for (const verb of await verbsFor([])) verb.register(program, async () => undefined);
  assert.deepEqual(
    program.commands.map((c) => [c.name(), ...c.aliases()].join('|')),
    VERBS.map((v) => [v.name, ...(v.aliases ?? [])].join('|')),
  );
  const mirror = program.commands.find((c) => c.name() === 'mirror');
  assert.deepEqual(
    mirror?.commands.map((c) => c.name()),
    ['build', 'serve'],
  );
  const forward = program.commands.find((c) => c.name() === 'forward');
  assert.deepEqual(
    forward?.commands.map((c) => c.name()),
    ['add', 'list', 'remove'],
  );
});

test('only the verb argv names is loaded; help, an unknown word or no verb load them all', async () => {
  const names = async (argv: string[]) => (await verbsFor(argv)).map((v) => v.name);
  assert.deepEqual(await names(['find', '--format', 'json']), ['find']);
  assert.deepEqual(await names(['-v', '-v', 'ls']), ['list']);
  assert.deepEqual(await names(['connect', 'primary']), ['shell']);
  assert.deepEqual(await names(['mirror', 'build', 'dir']), ['mirror']);
  const all = VERBS.map((v) => v.name);
  assert.deepEqual(await names([]), all);
  assert.deepEqual(await names(['--help']), all);
  assert.deepEqual(await names(['help', 'launch']), all);
  assert.deepEqual(await names(['lanch']), all);
});
