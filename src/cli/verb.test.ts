import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Command, CommanderError } from 'commander';
import type { CliContext } from './context.js';
import { defineGroup, defineVerb, flag, mandatory, operand, value, type Invoke } from './verb.js';

/** A program like main.ts's, whose commands record what they were given instead of reaching a daemon. */
function program(...register: Array<(parent: Command, invoke: Invoke) => void>) {
  const ctx = { verbosity: 0 } as CliContext;
  const result: { code?: number } = {};
  const root = new Command('skiff').exitOverride().configureOutput({ writeErr: () => undefined });
  const invoke: Invoke = async (body) => {
    result.code = await body(ctx);
  };
  for (const add of register) add(root, invoke);
  return { root, result, parse: (...argv: string[]) => root.parseAsync(argv, { from: 'user' }) };
}

test('run gets each operand and option under its key, and its exit code is kept', async () => {
  const seen: unknown[] = [];
  const verb = defineVerb({
    name: 'copy',
    aliases: ['cp'],
    description: 'copy things',
    operands: { from: operand('<from>', 'source'), to: operand('[to...]', 'targets') },
    options: {
      workingDirectory: value('-d, --working-directory <dir>', 'where'),
      all: flag('--all', 'everything'),
    },
    async run(args) {
      seen.push(args);
      return 7;
    },
  });
  const { root, result, parse } = program((p, i) => verb.register(p, i));
  await parse('cp', 'a', 'b', 'c', '-d', '/tmp');
  assert.deepEqual(seen, [{ from: 'a', to: ['b', 'c'], workingDirectory: '/tmp' }]);
  assert.equal(result.code, 7);
  await parse('copy', 'x', '--all');
  assert.deepEqual(seen[1], { from: 'x', to: [], all: true });
  assert.deepEqual(root.commands[0]?.aliases(), ['cp']);
  assert.equal(verb.name, 'copy');
  assert.deepEqual(verb.aliases, ['cp']);
});

test('a mandatory option is enforced by commander before run', async () => {
  let ran = false;
  const verb = defineVerb({
    name: 'build',
    description: 'build',
    options: { image: mandatory('--image <file>', 'the image') },
    async run() {
      ran = true;
      return 0;
    },
  });
  const { parse } = program((p, i) => verb.register(p, i));
  await assert.rejects(parse('build'), (error: unknown) => {
    assert.ok(error instanceof CommanderError);
    assert.equal(error.code, 'commander.missingMandatoryOptionValue');
    return true;
  });
  assert.equal(ran, false);
});

test('an option key that is not where commander stores the value is refused at registration', () => {
  const verb = defineVerb({
    name: 'exec',
    description: 'exec',
    options: { dir: value('-d, --working-directory <dir>', 'where') },
    run: async () => 0,
  });
  assert.throws(
    () => program((p, i) => verb.register(p, i)),
    /exec: option -d, --working-directory <dir> is stored as workingDirectory, not dir/,
  );
});

test('a group registers its subcommands under its name', async () => {
  const seen: unknown[] = [];
  const group = defineGroup({
    name: 'mirror',
    description: 'mirrors',
    subcommands: [
      defineVerb({
        name: 'serve',
        description: 'serve',
        operands: { dir: operand('<dir>', 'tree') },
        options: { listen: value('--listen <addr:port>', 'where') },
        async run(args) {
          seen.push(args);
          return 0;
        },
      }),
    ],
  });
  const { parse } = program((p, i) => group.register(p, i));
  await parse('mirror', 'serve', '/srv', '--listen', '127.0.0.1:0');
  assert.deepEqual(seen, [{ dir: '/srv', listen: '127.0.0.1:0' }]);
});
