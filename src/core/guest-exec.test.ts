import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import { findExecutable } from '../backends/qemu/process.js';
import { terminalCommand, watchedCommand, WATCHER_SCRIPT } from './guest-exec.js';

const run = promisify(execFile);

/** Shells the watcher must work in: the test image has busybox ash, Ubuntu dash and bash. */
const SHELLS: Array<[string, string[]]> = [
  ['dash', []],
  ['bash', []],
  ['busybox', ['sh']],
];

/** Whether a process whose command line contains `marker` is alive. */
async function running(marker: string): Promise<boolean> {
  const { stdout } = await run('ps', ['-eo', 'args']);
  return stdout.split('\n').some((line) => line.includes(marker) && !line.includes('ps -eo'));
}

for (const [shell, prefix] of SHELLS) {
  test(`the watcher under ${shell}: stdin, stdout, stderr and the exit status pass through`, async (t) => {
    if ((await findExecutable(shell)) === null) return t.skip(`${shell} is not installed`);
    const child = spawn(shell, [
      ...prefix,
      '-c',
      WATCHER_SCRIPT,
      'sh',
      'sh',
      '-c',
      'cat; echo e >&2; exit 7',
    ]);
    let out = '';
    let err = '';
    child.stdout.setEncoding('utf8').on('data', (c: string) => (out += c));
    child.stderr.setEncoding('utf8').on('data', (c: string) => (err += c));
    child.stdin.end('hello\n');
    const code = await new Promise((resolve) => child.on('close', resolve));
    assert.deepEqual({ code, out, err }, { code: 7, out: 'hello\n', err: 'e\n' });
    const killed = await run(shell, [
      ...prefix,
      '-c',
      WATCHER_SCRIPT,
      'sh',
      'sh',
      '-c',
      'kill -TERM $$',
    ]).catch((error: { code: number; stderr: string }) => error);
    assert.deepEqual(
      { code: (killed as { code: number }).code, stderr: (killed as { stderr: string }).stderr },
      {
        code: 143,
        stderr: '',
      },
    );
  });

  test(`the watcher under ${shell}: when its parent (the SSH session) dies, the command's group is hung up`, async (t) => {
    if ((await findExecutable(shell)) === null) return t.skip(`${shell} is not installed`);
    if ((await findExecutable('setsid')) === null) return t.skip('setsid is not installed');
    const marker = `${process.pid}${Math.floor(Math.random() * 1e6)}`;
    // The parent starts the watcher, then exits (as a dropped SSH session's process would) once its own
    // stdin closes; the watcher's stdin is not that pipe.
    const parent = spawn(
      shell,
      [
        ...prefix,
        '-c',
        `${shell} ${prefix.join(' ')} -c "$1" sh sh -c "sleep ${marker}; :" </dev/null & read x; exit 0`,
        'p',
        WATCHER_SCRIPT,
      ],
      { stdio: ['pipe', 'ignore', 'ignore'] },
    );
    for (let i = 0; i < 100 && !(await running(`sleep ${marker}`)); i++) await sleep(100);
    assert.ok(await running(`sleep ${marker}`), 'the command runs while its session lives');
    parent.stdin.end('\n');
    await new Promise((resolve) => parent.on('close', resolve));
    for (let i = 0; i < 50 && (await running(`sleep ${marker}`)); i++) await sleep(200);
    assert.equal(await running(`sleep ${marker}`), false, 'the command is gone once its session went');
  });
}

test('watchedCommand and terminalCommand: argv word for word, in a directory, login shell by default', async () => {
  const line = watchedCommand(['printf', '%s|', 'a b', "it's"], '/');
  const { stdout } = await run('sh', ['-c', line]);
  assert.equal(stdout, "a b|it's|");
  assert.equal(terminalCommand(['ls', '-l'], '/tmp'), 'cd /tmp && ls -l');
  assert.equal(terminalCommand([]), undefined);
  assert.equal(terminalCommand([], '/my dir'), `cd '/my dir' && exec "\${SHELL:-/bin/sh}" -l`);
  assert.throws(() => watchedCommand([]), /empty command/);
});
