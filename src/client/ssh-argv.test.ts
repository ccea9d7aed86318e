import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { remoteCommand, shellQuote, sshArgv } from './ssh-argv.js';

test('quoting preserves every argument exactly through a POSIX shell', () => {
  const argv = [
    'printf',
    '%s|',
    'plain',
    'two words',
    "it's",
    '$HOME',
    '`id`',
    'a"b',
    '',
    '*',
    'back\\slash',
    'new\nline',
  ];
  const out = execFileSync('sh', ['-c', remoteCommand(argv)], { encoding: 'utf8' });
  assert.equal(
    out,
    argv
      .slice(2)
      .map((a) => `${a}|`)
      .join(''),
  );
});

test('working directory and safe words', () => {
  assert.equal(shellQuote('/usr/bin'), '/usr/bin');
  assert.equal(remoteCommand(['ls', '-l'], '/tmp/my dir'), "cd '/tmp/my dir' && ls -l");
});

test('ssh argv for exec and shell', () => {
  const target = { host: '127.0.0.1', port: 40022, user: 'ubuntu', keyPath: '/k' };
  const exec = sshArgv(target, { tty: false, command: 'true' });
  assert.deepEqual(exec.slice(-4), ['-T', 'ubuntu@127.0.0.1', '--', 'true']);
  assert.ok(exec.includes('StrictHostKeyChecking=no'));
  assert.deepEqual(sshArgv(target, { tty: true }).slice(-2), ['-t', 'ubuntu@127.0.0.1']);
});
