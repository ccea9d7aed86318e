import assert from 'node:assert/strict';
import { test } from 'node:test';
import { execSpec } from './exec-service.js';

test('execSpec: a command without a terminal, or a terminal with a size (80x24 by default)', () => {
  assert.deepEqual(execSpec({ command: ['ls', '-l'] }), { kind: 'command', argv: ['ls', '-l'], tty: false });
  assert.deepEqual(execSpec({ tty: true, workingDirectory: '/srv' }), {
    kind: 'command',
    argv: [],
    workingDirectory: '/srv',
    tty: true,
    cols: 80,
    rows: 24,
    term: 'xterm',
  });
  assert.deepEqual(execSpec({ command: ['top'], tty: true, cols: 132, rows: 50, term: 'tmux-256color' }), {
    kind: 'command',
    argv: ['top'],
    tty: true,
    cols: 132,
    rows: 50,
    term: 'tmux-256color',
  });
  assert.deepEqual(execSpec({ subsystem: 'sftp' }), { kind: 'subsystem', name: 'sftp' });
});

test('execSpec: bad requests name the field', () => {
  const cases: Array<[Parameters<typeof execSpec>[0], RegExp]> = [
    [{}, /^command: required without tty/],
    [{ command: ['a\0b'] }, /^command: a word contains a NUL/],
    [{ command: ['ls'], workingDirectory: '' }, /^working_directory:/],
    [{ command: ['ls'], cols: 80 }, /^cols, rows, term: only with tty/],
    [{ tty: true, term: 'x; rm' }, /^term: letters/],
    [{ subsystem: 'sftp', command: ['ls'] }, /^subsystem: cannot be combined/],
    [{ subsystem: 'sftp', tty: true }, /^subsystem: cannot be combined/],
  ];
  for (const [request, message] of cases)
    assert.throws(
      () => execSpec(request),
      (error: Error & { code?: string }) => {
        assert.equal(error.code, 'invalid-argument');
        assert.match(error.message, message);
        return true;
      },
    );
});
