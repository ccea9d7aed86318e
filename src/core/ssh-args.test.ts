import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { test } from 'node:test';
import { promisify } from 'node:util';
import type { SshTarget } from './ssh-args.js';
import {
  knownHostsLine,
  remoteCommand,
  shellJoin,
  shellQuote,
  sshCommandArgs,
  sshSessionArgs,
} from './ssh-args.js';
import { findExecutable } from '../backends/qemu/process.js';

const run = promisify(execFile);
const target: SshTarget = {
  host: '127.0.0.1',
  port: 40022,
  user: 'ubuntu',
  keyPath: '/k/id_ed25519',
  hostKey: { knownHostsFile: '/i/vm/known_hosts', alias: 'skiff-instance-vm' },
};
const BASE = [
  ...['-F', '/dev/null', '-i', '/k/id_ed25519', '-p', '40022'],
  ...[
    '-o',
    'IdentitiesOnly=yes',
    '-o',
    'StrictHostKeyChecking=yes',
    '-o',
    'UserKnownHostsFile=/i/vm/known_hosts',
  ],
  ...['-o', 'GlobalKnownHostsFile=/dev/null', '-o', 'HostKeyAlias=skiff-instance-vm'],
  ...['-o', 'HostKeyAlgorithms=ssh-ed25519', '-o', 'CheckHostIP=no'],
  ...['-o', 'LogLevel=ERROR', '-o', 'BatchMode=yes', '-o', 'ConnectTimeout=10'],
  ...['-o', 'ServerAliveInterval=10', '-o', 'ServerAliveCountMax=3'],
];

test('the host key is pinned: strict checking against the instance file, or accept-new to learn it', () => {
  const learn = sshCommandArgs({ ...target, hostKey: { ...target.hostKey, learn: true } }, 'true');
  assert.ok(learn.includes('StrictHostKeyChecking=accept-new'));
  assert.ok(
    !sshSessionArgs(target, { tty: true }).some(
      (a) => /StrictHostKeyChecking=(no|accept-new)|\/dev\/null$/.test(a) && a.startsWith('UserKnown'),
    ),
  );
  assert.equal(
    knownHostsLine('skiff-instance-vm', 'ssh-ed25519 AAAAkey  vm\n'),
    'skiff-instance-vm ssh-ed25519 AAAAkey\n',
  );
});

test('sshCommandArgs: a command line without a TTY', () => {
  assert.deepEqual(sshCommandArgs(target, 'cat /etc/os-release'), [
    ...BASE,
    ...['-T', '--', 'ubuntu@127.0.0.1', 'cat /etc/os-release'],
  ]);
});

test('sshSessionArgs: -T with a command, -tt (forced: skiffd has no terminal) for a PTY, -s for a subsystem', () => {
  assert.deepEqual(sshSessionArgs(target, { command: "ls -l 'my file'", tty: false }), [
    ...BASE,
    ...['-T', '--', 'ubuntu@127.0.0.1', "ls -l 'my file'"],
  ]);
  assert.deepEqual(sshSessionArgs(target, { tty: true }, { connectTimeoutSec: 3 }), [
    ...BASE.map((a) => (a === 'ConnectTimeout=10' ? 'ConnectTimeout=3' : a)),
    ...['-tt', '--', 'ubuntu@127.0.0.1'],
  ]);
  assert.deepEqual(sshSessionArgs(target, { command: 'top', tty: true }).slice(-4), [
    '-tt',
    '--',
    'ubuntu@127.0.0.1',
    'top',
  ]);
  assert.deepEqual(sshSessionArgs(target, { subsystem: 'sftp' }).slice(-5), [
    '-T',
    '-s',
    '--',
    'ubuntu@127.0.0.1',
    'sftp',
  ]);
});

test('shellQuote: safe words stay bare, others single-quoted', () => {
  assert.equal(shellQuote('ls'), 'ls');
  assert.equal(shellQuote('/usr/bin/env'), '/usr/bin/env');
  assert.equal(shellQuote('--opt=a,b:c@d%e+f'), '--opt=a,b:c@d%e+f');
  assert.equal(shellQuote(''), "''");
  assert.equal(shellQuote('a b'), "'a b'");
  assert.equal(shellQuote("it's"), "'it'\\''s'");
  assert.equal(shellQuote('$HOME'), "'$HOME'");
});

const TRICKY = [
  'plain',
  '',
  'two words',
  "single ' quote",
  'double " quote',
  "''",
  '$HOME $(id) `id` ${PATH}',
  'back\\slash\\',
  'line\nbreak',
  'tab\there',
  '*?[a-z]',
  '; rm -rf / && echo pwned | cat > /dev/null',
  '-n',
  '--',
  '~',
  '#not a comment',
  'ünïcødé ✓',
  '!event',
  'a=b',
  '{a,b}',
];

for (const shell of ['sh', 'bash', 'dash']) {
  test(`shellJoin round-trips argv exactly through ${shell} -c`, async (t) => {
    if ((await findExecutable(shell)) === null) return t.skip(`${shell} is not installed`);
    // What sshd does: hand the joined line to the login shell; printf then shows each word as received.
    const line = `printf '%s\\0' ${shellJoin(TRICKY)}`;
    const { stdout } = await run(shell, ['-c', line]);
    assert.deepEqual(stdout.split('\0').slice(0, -1), TRICKY);
  });
}

test('remoteCommand keeps argv exactly through a real shell, in a working directory', async () => {
  const { execFileSync } = await import('node:child_process');
  const argv = ['printf', '%s|', 'two words', "it's", '$HOME', '`id`', 'a"b', '', '*', 'new\nline'];
  assert.equal(
    execFileSync('sh', ['-c', remoteCommand(argv)], { encoding: 'utf8' }),
    argv
      .slice(2)
      .map((a) => `${a}|`)
      .join(''),
  );
  assert.equal(remoteCommand(['ls', '-l'], '/tmp/my dir'), "cd '/tmp/my dir' && ls -l");
  assert.equal(execFileSync('sh', ['-c', remoteCommand(['pwd'], '/')], { encoding: 'utf8' }), '/\n');
});
