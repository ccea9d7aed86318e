import { test } from 'node:test';
import assert from 'node:assert/strict';
import { normaliseGuestPath, parseTransferArgs, splitOperand } from './transfer-args.js';

const refused = (operands: string[], message: string | RegExp) =>
  assert.throws(
    () => parseTransferArgs(operands),
    (error: Error & { code?: string }) => {
      assert.equal(error.code, 'invalid-argument');
      if (typeof message === 'string') assert.equal(error.message, message);
      else assert.match(error.message, message);
      return true;
    },
  );

test('an operand is a guest path only when a valid instance name precedes the colon', () => {
  assert.deepEqual(splitOperand('web:/etc/hosts'), { instance: 'web', path: '/etc/hosts' });
  assert.deepEqual(splitOperand('web:'), { instance: 'web', path: '' });
  assert.deepEqual(splitOperand('web:a:b'), { instance: 'web', path: 'a:b' });
  assert.deepEqual(splitOperand('./a:b'), { path: './a:b' });
  assert.deepEqual(splitOperand('/tmp/x:y'), { path: '/tmp/x:y' });
  assert.deepEqual(splitOperand('1abc:x'), { path: '1abc:x' });
  assert.deepEqual(splitOperand('plain file'), { path: 'plain file' });
});

test('guest paths: home for empty and ~, ~/ stripped, a leading dash made harmless', () => {
  assert.equal(normaliseGuestPath(''), '.');
  assert.equal(normaliseGuestPath('~'), '.');
  assert.equal(normaliseGuestPath('~/'), '.');
  assert.equal(normaliseGuestPath('~/a b'), 'a b');
  assert.equal(normaliseGuestPath('-rf'), './-rf');
  assert.equal(normaliseGuestPath('/abs/it\'s "$x"'), '/abs/it\'s "$x"');
  assert.throws(() => normaliseGuestPath('a\nb'), /newline/);
});

test('push, pull, stdin and stdout plans', () => {
  assert.deepEqual(parseTransferArgs(['a', 'b c', 'web:dir']), {
    kind: 'push',
    sources: ['a', 'b c'],
    target: { instance: 'web', path: 'dir' },
  });
  assert.deepEqual(parseTransferArgs(['web:x', 'db:-y', 'out']), {
    kind: 'pull',
    sources: [
      { instance: 'web', path: 'x' },
      { instance: 'db', path: './-y' },
    ],
    target: 'out',
  });
  assert.deepEqual(parseTransferArgs(['-', 'web:']), {
    kind: 'from-stdin',
    target: { instance: 'web', path: '.' },
  });
  assert.deepEqual(parseTransferArgs(['web:/f', '-']), {
    kind: 'to-stdout',
    source: { instance: 'web', path: '/f' },
  });
});

test("Multipass's command-line errors", () => {
  refused([], 'Not enough arguments given');
  refused(['web:x'], 'Not enough arguments given');
  refused(['-', '-'], "Only one '-' allowed");
  refused(['-', '-', 'web:x'], "Only one '-' allowed");
  refused(['-', 'a', 'web:x'], "Only two arguments allowed when using '-'");
  refused(['web:a', 'web:b', '-'], "Only two arguments allowed when using '-'");
  refused(['local', '-'], 'Source must be from inside an instance');
  refused(['-', 'local'], 'Target must be inside an instance');
  refused(['a', 'b'], 'An instance name is needed for either source or destination');
  refused(['web:a', 'b', 'c'], 'All sources must be from inside an instance');
  refused(['web:a', 'db:b'], 'Cannot specify an instance name for both source and destination');
  refused(['a', 'web:x\ny'], /newline/);
  refused(['a\nb', 'web:x'], /newline/);
  refused(['', 'web:x'], /source path is empty/);
});
