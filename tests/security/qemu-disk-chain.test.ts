/**
 * The real QEMU never follows a name recorded in an image. A base image whose qcow2 header names a backing
 * file (here a stand-in for `/root/secret.raw`) is given to qemu-system-x86_64 with skiff's disk arguments;
 * QEMU's own list of open block nodes must not contain that file. Then the backend refuses to start a VM
 * over such a base at all (an image cached before skiff inspected images), naming the field.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { promisify } from 'node:util';
import { qemuArgs, QEMU_BINARY } from '../../src/backends/qemu/args.js';
import { QemuBackend } from '../../src/backends/qemu/backend.js';
import { findExecutable } from '../../src/backends/qemu/process.js';
import { spawnQemu } from '../../src/backends/qemu/spawn.js';
import type { VmLaunchSpec } from '../../src/backends/qemu/machine.js';
import type { SkiffError } from '../../src/core/errors.js';

const run = promisify(execFile);
const MIB = 1024 * 1024;
const tools = (await findExecutable(QEMU_BINARY)) !== null && (await findExecutable('qemu-img')) !== null;

describe('QEMU and hostile base images', { skip: tools ? false : 'QEMU is not installed' }, () => {
  let work = '';
  let secret = '';
  let base = '';
  before(async () => {
    work = await mkdtemp(join(tmpdir(), 'skiff-sec-qemu-'));
    secret = join(work, 'secret.raw');
    await writeFile(secret, Buffer.alloc(MIB, 'S'), { mode: 0o600 });
    base = join(work, 'hostile-base.qcow2');
    await run('qemu-img', ['create', '-q', '-f', 'qcow2', '-F', 'raw', '-b', secret, base]);
  });
  after(() => rm(work, { recursive: true, force: true }));

  async function instance(name: string): Promise<VmLaunchSpec> {
    const dir = join(work, name);
    await mkdir(dir);
    // As an overlay made before skiff checked bases would be (-u: without opening the base).
    await run('qemu-img', [
      'create',
      '-q',
      '-u',
      '-f',
      'qcow2',
      '-F',
      'qcow2',
      '-b',
      base,
      join(dir, 'disk.qcow2'),
      String(64 * MIB),
    ]);
    await writeFile(join(dir, 'seed.iso'), Buffer.alloc(64 * 1024));
    return {
      name,
      dir,
      cpus: 1,
      memoryBytes: 64 * MIB,
      nics: [{ kind: 'user', mac: '52:54:00:00:00:07', sshPort: 2222 }],
      accel: 'tcg',
    };
  }

  test('with skiff’s disk arguments QEMU opens the overlay and the base, never the base’s backing file', async () => {
    const spec = await instance('chain');
    // -S: the guest never runs; QEMU has opened every block node by the time QMP answers.
    const args = [...qemuArgs(spec, { base: { path: base, format: 'qcow2' } }), '-S'];
    const { pid, qmp } = await spawnQemu({
      binary: QEMU_BINARY,
      args,
      cwd: spec.dir,
      logPath: join(spec.dir, 'qemu.log'),
      qmpPath: join(spec.dir, 'qmp.sock'),
      timeoutMs: 30_000,
    });
    try {
      const nodes =
        await qmp.execute<Array<{ 'node-name': string; file: string; backing_file_depth: number }>>(
          'query-named-block-nodes',
        );
      const files = nodes.map((n) => n.file);
      assert.ok(files.includes(join(spec.dir, 'disk.qcow2')), JSON.stringify(files));
      assert.ok(files.includes(base), JSON.stringify(files));
      assert.ok(!files.some((f) => f.includes('secret')), `QEMU opened the secret: ${JSON.stringify(files)}`);
      const baseNode = nodes.find((n) => n['node-name'] === 'base');
      assert.equal(baseNode?.['backing_file_depth'], 0);
    } finally {
      await qmp.execute('quit').catch(() => undefined);
      qmp.close();
      await waitGone(pid);
    }
  });

  test('the backend refuses to start a VM over a base that names a backing file', async () => {
    const spec = await instance('refused');
    const backend = new QemuBackend();
    await assert.rejects(backend.start(spec), (error: SkiffError) => {
      assert.equal(error.code, 'invalid-argument');
      assert.equal(error.details?.field, 'backing-filename');
      assert.match(error.message, /it names a backing file/);
      return true;
    });
    assert.equal(await backend.pid(spec.dir), null);
  });
});

async function waitGone(pid: number): Promise<void> {
  for (let i = 0; i < 100; i++) {
    try {
      process.kill(pid, 0);
    } catch {
      return;
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  process.kill(pid, 'SIGKILL');
}
