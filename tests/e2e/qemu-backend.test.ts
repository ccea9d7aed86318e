/**
 * @module QemuBackend for real: the test image booted under QEMU (TCG here, KVM when usable) from a qcow2
 * overlay and a NoCloud seed made by cloud-init.ts + seed-iso.ts, reached with the daemon key over a
 * loopback-forwarded port. Covers exec exit codes, power states, adoption by a new backend instance (a daemon
 * restart), suspend/resume keeping RAM state, reset, powerdown and kill. Skips with a reason when the test
 * image or QEMU is unavailable, but fails under CI. QEMU is killed in after() whatever happens.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { cloudInitFiles } from '../../src/services/instances/seed/cloud-init.js';
import { writeSeedIso } from '../../src/backends/iso/seed-iso.js';
import { SUSPEND_SNAPSHOT } from '../../src/backends/qemu/args.js';
import { QemuBackend } from '../../src/backends/qemu/backend.js';
import { withQmp } from '../../src/backends/qemu/qmp-client.js';
import { findExecutable } from '../../src/backends/qemu/process.js';
import { ensureKeyPair } from '../../src/backends/ssh/keys.js';
import { OpenSshGuestShell } from '../../src/backends/ssh/session.js';
import type { VmLaunchSpec } from '../../src/backends/qemu/machine.js';
import type { SshTarget } from '../../src/core/ssh-args.js';

const run = promisify(execFile);
const REPO_ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const BUILD_SCRIPT = join(REPO_ROOT, 'images/test-image/build.sh');
const BOOT_MS = 120_000;
const GIB = 1024 ** 3;

/** The test image's path, or why there is none. SKIFF_TEST_IMAGE overrides the build script. */
async function testImage(): Promise<{ path: string } | { skip: string }> {
  if (process.env.SKIFF_TEST_IMAGE) return { path: process.env.SKIFF_TEST_IMAGE };
  if (!existsSync(BUILD_SCRIPT)) return { skip: `${BUILD_SCRIPT} does not exist yet` };
  const { stdout } = await run('bash', [BUILD_SCRIPT], {
    cwd: REPO_ROOT,
    timeout: 15 * 60_000,
    maxBuffer: 64 << 20,
  });
  const path = stdout.trim().split('\n').at(-1)?.trim() ?? '';
  if (!existsSync(path))
    throw new Error(`${BUILD_SCRIPT} printed ${JSON.stringify(path)}, which does not exist`);
  return { path };
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise((resolve) => server.close(resolve));
  if (address === null || typeof address === 'string') throw new Error('no port');
  return address.port;
}

// A build that exists but fails is a real failure, so it is not caught here.
const image = await testImage();
const qemu = await findExecutable('qemu-system-x86_64');
const why = 'skip' in image ? image.skip : qemu === null ? 'qemu-system-x86_64 is not installed' : null;
if (why !== null && process.env.CI) throw new Error(`e2e QEMU backend test cannot run under CI: ${why}`);

describe('QemuBackend end to end', { skip: why ?? false, timeout: 15 * 60_000 }, () => {
  const backend = new QemuBackend();
  const shell = new OpenSshGuestShell();
  const timings: Record<string, number> = {};
  let root = '';
  let spec: VmLaunchSpec;
  let target: SshTarget;

  const sh = async (command: string, timeoutMs = 30_000) => shell.run(target, command, { timeoutMs });
  const ok = async (command: string): Promise<string> => {
    const result = await sh(command);
    assert.equal(result.code, 0, `${command}: ${result.stderr}`);
    return result.stdout.trim();
  };
  const timed = async <T>(label: string, fn: () => Promise<T>): Promise<T> => {
    const t0 = performance.now();
    try {
      return await fn();
    } finally {
      timings[label] = Math.round(performance.now() - t0);
    }
  };

  before(async () => {
    root = await mkdtemp(join(tmpdir(), 'skiff-e2e-'));
    const dir = join(root, 'vm');
    await run('mkdir', ['-p', dir]);
    const keys = await ensureKeyPair({ dir: join(root, 'keys') });
    const accel = await backend.detectAccelerator();
    console.log(`# accelerator: ${accel.reason}`);
    spec = {
      name: 'e2e',
      dir,
      cpus: 1,
      memoryBytes: 256 * 1024 * 1024,
      nics: [{ kind: 'user', mac: '52:54:00:5c:1f:01', sshPort: await freePort() }],
      accel: accel.accel,
    };
    target = {
      host: '127.0.0.1',
      port: sshPortOf(spec),
      user: 'ubuntu',
      keyPath: keys.privateKeyPath,
      hostKey: { knownHostsFile: join(root, 'known_hosts'), alias: 'e2e', learn: true },
    };
    await timed('create disk + seed', async () => {
      await backend.createDisk({ dir, baseImage: (image as { path: string }).path, diskBytes: 2 * GIB });
      const files = cloudInitFiles({
        instanceId: 'iid-e2e',
        hostname: 'e2e-host',
        sshAuthorizedKeys: [keys.publicKey],
        userData: '#cloud-config\nruncmd:\n  - echo from-user-data > /tmp/runcmd-ok\n',
      });
      await writeSeedIso({ dir, files });
    });
  });

  after(async () => {
    if (spec) await backend.kill(spec.dir).catch(() => undefined);
    const pid = spec ? await backend.pid(spec.dir) : null;
    if (pid !== null) process.kill(pid, 'SIGKILL');
    console.log(`# timings (ms): ${JSON.stringify(timings)}`);
    if (root) await rm(root, { recursive: true, force: true });
  });

  it('creates a 2 GiB overlay on the image', async () => {
    const info = await backend.diskInfo(spec.dir);
    assert.equal(info.virtualBytes, 2 * GIB);
    assert.equal(info.backingFile, (image as { path: string }).path);
    assert.equal(await backend.power(spec.dir), 'stopped');
  });

  it('starts, reaches SSH, and passes exit codes through', async () => {
    const { pid } = await timed('start (spawn to QMP)', () => backend.start(spec));
    assert.equal(await backend.pid(spec.dir), pid);
    await timed('start to SSH', () => shell.waitReady(target, { timeoutMs: BOOT_MS }));
    timings['start to SSH'] = (timings['start to SSH'] ?? 0) + (timings['start (spawn to QMP)'] ?? 0);
    const result = await sh('echo out; echo err >&2; exit 7');
    assert.deepEqual(result, { code: 7, stdout: 'out\n', stderr: 'err\n' });
    assert.equal(await ok('hostname'), 'e2e-host');
    assert.equal(await ok('cloud-init status'), 'status: done');
    assert.equal(await ok('cat /tmp/runcmd-ok'), 'from-user-data', "the user's cloud-config ran");
    assert.equal(await backend.power(spec.dir), 'running');
  });

  it('refuses a second start of the same VM', async () => {
    await assert.rejects(backend.start(spec), { code: 'conflict' });
  });

  it('is adopted by a new backend instance (daemon restart)', async () => {
    const restarted = new QemuBackend();
    assert.equal(await restarted.power(spec.dir), 'running');
    assert.equal(await restarted.pid(spec.dir), await backend.pid(spec.dir));
  });

  it('drops a suspend state left beside a running VM (delvm), and the VM runs on', async () => {
    // As a crash between -loadvm and delvm during a resume leaves it: the guest running, the snapshot kept.
    await withQmp(
      join(spec.dir, 'qmp.sock'),
      (c) => c.human(`savevm ${SUSPEND_SNAPSHOT}`, { timeoutMs: 120_000 }),
      {
        timeoutMs: 120_000,
      },
    );
    assert.equal(await backend.hasSuspendState(spec.dir), true);
    await backend.discardSuspendState(spec.dir);
    assert.equal(await backend.hasSuspendState(spec.dir), false);
    assert.equal(await backend.power(spec.dir), 'running');
    assert.equal(await ok('echo alive'), 'alive');
  });

  it('suspends and resumes with RAM state intact', async () => {
    const token = `t-${Date.now()}`;
    await ok(`echo ${token} > /tmp/x`);
    const sleeper = await ok('sleep 10000 >/dev/null 2>&1 </dev/null & echo $!');
    await timed('suspend', () => backend.suspend(spec.dir));
    assert.equal(await backend.pid(spec.dir), null);
    assert.equal(await backend.hasSuspendState(spec.dir), true);
    assert.equal(await backend.power(spec.dir), 'suspended');
    await assert.rejects(backend.resizeDisk({ dir: spec.dir, diskBytes: 3 * GIB }), { code: 'conflict' });
    await timed('resume to SSH', async () => {
      await backend.start({ ...spec, resumeFromSuspend: true });
      await shell.waitReady(target, { timeoutMs: BOOT_MS });
    });
    assert.equal(await ok('cat /tmp/x'), token);
    assert.equal((await sh(`kill -0 ${sleeper}`)).code, 0, 'the guest process survived suspend');
    assert.equal(await backend.hasSuspendState(spec.dir), false, 'the snapshot is deleted after resume');
    assert.equal(await backend.power(spec.dir), 'running');
  });

  it('resets the guest (a new boot)', async () => {
    const bootId = await ok('cat /proc/sys/kernel/random/boot_id');
    await backend.reset(spec.dir);
    await timed('reset to SSH', () => shell.waitReady(target, { timeoutMs: BOOT_MS }));
    assert.notEqual(await ok('cat /proc/sys/kernel/random/boot_id'), bootId);
  });

  it('powers down cleanly', async () => {
    await timed('powerdown', () => backend.powerdown(spec.dir, 60_000));
    assert.equal(await backend.pid(spec.dir), null);
    assert.equal(await backend.power(spec.dir), 'stopped');
  });

  it('grows the disk of a stopped VM, and refuses while it runs', async () => {
    await backend.resizeDisk({ dir: spec.dir, diskBytes: 3 * GIB });
    assert.equal((await backend.diskInfo(spec.dir)).virtualBytes, 3 * GIB);
    await assert.rejects(backend.resizeDisk({ dir: spec.dir, diskBytes: GIB }), { code: 'invalid-argument' });
  });

  it('survives the process that started it and is adopted by another (daemon restart)', async () => {
    // A separate "daemon" starts the VM and exits; QEMU is then reparented, and this process adopts it.
    const backendModule = new URL('../../src/backends/qemu/backend.js', import.meta.url).href;
    const script = `const { QemuBackend } = await import(${JSON.stringify(backendModule)});
      const { pid } = await new QemuBackend().start(JSON.parse(process.env.SPEC));
      console.log(pid);`;
    const { stdout } = await run(process.execPath, ['--input-type=module', '-e', script], {
      env: { ...process.env, SPEC: JSON.stringify(spec) },
      timeout: BOOT_MS,
    });
    const pid = Number(stdout.trim());
    const adopter = new QemuBackend();
    assert.equal(await adopter.pid(spec.dir), pid);
    assert.equal(await adopter.power(spec.dir), 'running');
    await shell.waitReady(target, { timeoutMs: BOOT_MS });
    assert.equal(await ok('hostname'), 'e2e-host');
    await assert.rejects(adopter.resizeDisk({ dir: spec.dir, diskBytes: 4 * GIB }), { code: 'conflict' });
    // No longer our child: its exit may leave a zombie that only its new parent can reap.
    await timed('powerdown (adopted)', () => adopter.powerdown(spec.dir, 60_000));
    assert.equal(await adopter.power(spec.dir), 'stopped');
  });

  it('kills a running VM at once', async () => {
    await backend.start(spec);
    assert.equal(await backend.power(spec.dir), 'running');
    await timed('kill', () => backend.kill(spec.dir));
    assert.equal(await backend.power(spec.dir), 'stopped');
  });

  it('reports QEMU start-up errors with its stderr', async () => {
    const broken = { ...spec, dir: join(root, 'missing') };
    await run('mkdir', ['-p', broken.dir]);
    await assert.rejects(backend.start(broken), (error: Error) => {
      assert.match(error.message, /QEMU exited during start-up.*disk\.qcow2/s);
      return true;
    });
  });
});

function sshPortOf(spec: VmLaunchSpec): number {
  const [nic] = spec.nics;
  assert.ok(nic?.kind === 'user');
  return nic.sshPort;
}
