import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import {
  findExecutable,
  livePidFor,
  parseProcStatState,
  processArgv,
  processState,
  readPidfile,
  waitForExit,
} from './process.js';

let dir = '';
before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'skiff-proc-'));
});
after(() => rm(dir, { recursive: true, force: true }));

/** A long-running child whose argv carries `-pidfile <path>`, as QEMU's does. */
function fakeQemu(pidfile: string) {
  return spawn(process.execPath, ['-e', 'setTimeout(() => {}, 60000)', '--', '-pidfile', pidfile], {
    stdio: 'ignore',
  });
}

test('parseProcStatState reads the letter after the last parenthesis', () => {
  assert.equal(parseProcStatState('1234 (qemu-system-x86) S 1 1234 1234 0 -1'), 'S');
  assert.equal(parseProcStatState('55 (a) b) (c) Z 1 0'), 'Z');
  assert.equal(parseProcStatState('garbage'), null);
});

test('processState: alive, zombie (exited, not reaped), gone', async () => {
  assert.equal(await processState(process.pid), 'alive');
  assert.equal(await processState(2 ** 22 + 12345), 'gone');
  // The backgrounded `sleep 0.3` exits; its parent became `sleep`, which never reaps it.
  const parent = spawn('sh', ['-c', 'sleep 0.3 & echo $!; exec sleep 5'], {
    stdio: ['ignore', 'pipe', 'ignore'],
  });
  const pid = Number(
    (await new Promise<Buffer>((resolve) => parent.stdout.once('data', resolve))).toString(),
  );
  assert.ok(await waitForExit(pid, 5_000), 'the zombie counts as exited');
  assert.equal(await processState(pid), 'zombie');
  parent.kill('SIGKILL');
});

test('readPidfile: a pid, or null for missing and garbled files', async () => {
  await writeFile(join(dir, 'ok.pid'), '4242\n');
  await writeFile(join(dir, 'bad.pid'), 'x');
  assert.equal(await readPidfile(join(dir, 'ok.pid')), 4242);
  assert.equal(await readPidfile(join(dir, 'bad.pid')), null);
  assert.equal(await readPidfile(join(dir, 'none.pid')), null);
});

test('livePidFor: only a live process started with that very pidfile counts', async () => {
  const pidfile = join(dir, 'vm.pid');
  const child = fakeQemu(pidfile);
  try {
    await writeFile(pidfile, `${child.pid}\n`);
    assert.equal(await livePidFor(pidfile), child.pid);
    assert.deepEqual((await processArgv(child.pid ?? 0))?.slice(-2), ['-pidfile', pidfile]);
    // A stale pidfile naming a reused pid (here: this test process) is not the VM.
    await writeFile(pidfile, `${process.pid}\n`);
    assert.equal(await livePidFor(pidfile), null);
    await writeFile(pidfile, `${child.pid}\n`);
    assert.equal(await livePidFor(join(dir, 'other.pid')), null);
  } finally {
    child.kill('SIGKILL');
  }
  assert.ok(await waitForExit(child.pid ?? 0, 5_000));
  assert.equal(await livePidFor(pidfile), null);
});

test('waitForExit gives up after its budget while the process lives', async () => {
  const started = Date.now();
  assert.equal(await waitForExit(process.pid, 120), false);
  assert.ok(Date.now() - started >= 100);
});

test('findExecutable: PATH lookup and explicit paths', async () => {
  assert.match((await findExecutable('sh')) ?? '', /\/sh$/);
  assert.equal(await findExecutable('no-such-binary-skiff'), null);
  assert.equal(await findExecutable('/bin/sh'), '/bin/sh');
  assert.equal(await findExecutable('sh', join(dir, 'empty-path')), null);
});
