/**
 * Unit tests of QemuBackend's process handling with fake QEMU binaries (shell scripts): no guest boots here;
 * tests/e2e/qemu-backend.test.ts boots real VMs.
 */
import assert from 'node:assert/strict';
import { chmod, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import type { VmLaunchSpec } from './machine.js';
import { QemuBackend } from './backend.js';
import { processState } from './process.js';

let root = '';
let n = 0;
before(async () => {
  root = await mkdtemp(join(tmpdir(), 'skiff-backend-'));
});
after(() => rm(root, { recursive: true, force: true }));

async function fakeBinary(script: string): Promise<string> {
  const path = join(root, `fake-qemu-${++n}`);
  await writeFile(path, `#!/bin/sh\n${script}\n`);
  await chmod(path, 0o755);
  return path;
}

async function specIn(name: string): Promise<VmLaunchSpec> {
  const dir = join(root, name);
  await mkdir(dir, { recursive: true });
  return {
    name,
    dir,
    cpus: 1,
    memoryBytes: 64 * 1024 * 1024,
    nics: [{ kind: 'user', mac: '52:54:00:00:00:01', sshPort: 2222 }],
    accel: 'tcg',
  };
}

test('an empty instance directory is stopped, with no pid and no suspend state', async () => {
  const { dir } = await specIn('empty');
  const backend = new QemuBackend();
  assert.equal(await backend.power(dir), 'stopped');
  assert.equal(await backend.pid(dir), null);
  assert.equal(await backend.hasSuspendState(dir), false);
  await backend.kill(dir); // nothing to do
  await backend.powerdown(dir, 1_000);
  await assert.rejects(backend.suspend(dir), { code: 'conflict' });
  await assert.rejects(backend.reset(dir), { code: 'conflict' });
});

test('a missing QEMU binary names the apt package', async () => {
  const backend = new QemuBackend({ qemuBinary: 'no-such-qemu-skiff' });
  await assert.rejects(backend.start(await specIn('nobin')), (error: Error & { code?: string }) => {
    assert.equal(error.code, 'missing-dependency');
    assert.match(error.message, /no-such-qemu-skiff not found on PATH: install the qemu-system-x86 package/);
    return true;
  });
});

test('QEMU exiting during start-up: the error carries its stderr and exit code', async () => {
  const qemu = await fakeBinary(`echo "qemu: could not open disk image: No such file" >&2; exit 1`);
  const spec = await specIn('exits');
  await writeFile(join(spec.dir, 'qemu.log'), 'an older run\n');
  await assert.rejects(new QemuBackend({ qemuBinary: qemu }).start(spec), (error: Error) => {
    assert.equal(
      error.message,
      'QEMU exited during start-up (exit code 1): qemu: could not open disk image: No such file',
    );
    return true;
  });
  assert.match(await readFile(join(spec.dir, 'qemu.log'), 'utf8'), /^an older run\nqemu: could not open/);
});

test('QEMU never answering QMP: a timeout, and the process is killed', async () => {
  const qemu = await fakeBinary(`echo $$ > "$PWD/fake.pid"; exec sleep 30`);
  const spec = await specIn('silent');
  const backend = new QemuBackend({ qemuBinary: qemu, startTimeoutMs: 300 });
  await assert.rejects(backend.start(spec), { code: 'timeout' });
  const pid = Number(await readFile(join(spec.dir, 'fake.pid'), 'utf8'));
  // Killed, not waited on by the backend: give a loaded machine time to reap it (polling, not a fixed pause).
  for (let i = 0; i < 100 && (await processState(pid)) === 'alive'; i++)
    await new Promise((resolve) => setTimeout(resolve, 50));
  assert.notEqual(await processState(pid), 'alive');
});

test('start honours an abort signal', async () => {
  const qemu = await fakeBinary('exec sleep 30');
  const controller = new AbortController();
  const pending = new QemuBackend({ qemuBinary: qemu }).start(await specIn('abort'), controller.signal);
  setTimeout(() => controller.abort(new Error('launch cancelled')), 100);
  await assert.rejects(pending, /launch cancelled/);
});

test('an invalid spec is refused before anything runs', async () => {
  const spec = { ...(await specIn('invalid')), cpus: 0 };
  await assert.rejects(new QemuBackend().start(spec), { code: 'invalid-argument' });
});

test('a second start of a directory while the first is in flight is a conflict', async () => {
  const qemu = await fakeBinary('exec sleep 30');
  const backend = new QemuBackend({ qemuBinary: qemu });
  const spec = await specIn('twice');
  const controller = new AbortController();
  const first = backend.start(spec, controller.signal);
  await new Promise((resolve) => setTimeout(resolve, 50));
  await assert.rejects(backend.start(spec), {
    code: 'conflict',
    message: `a VM is already starting in ${spec.dir}`,
  });
  controller.abort(new Error('done'));
  await assert.rejects(first, /done/);
});
