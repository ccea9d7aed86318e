/**
 * A VM suspended by a skiff from before shares (no shared-memory RAM, no spare PCIe ports: the legacy layout)
 * still resumes: the driver sees no layout file beside it and rebuilds the devices its state was saved from.
 * The next fresh boot uses (and records) the layout with shares.
 */
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { QemuBackend } from '../../src/backends/qemu/backend.js';
import { QemuDriver } from '../../src/backends/qemu/driver.js';
import { ensureKeyPair } from '../../src/backends/ssh/keys.js';
import { OpenSshGuestShell } from '../../src/backends/ssh/session.js';
import { cloudInitFiles } from '../../src/services/instances/seed/cloud-init.js';
import { buildTestImage, freeLoopbackPort } from '../harness/qemu-test-vm.js';

test(
  'a state saved in the legacy layout resumes; the next fresh boot records the layout with shares',
  { timeout: 10 * 60_000 },
  async () => {
    const image = await buildTestImage();
    const root = await mkdtemp(join(tmpdir(), 'skiff-legacy-'));
    const backend = new QemuBackend();
    const driver = new QemuDriver({ root: join(root, 'instances'), backend });
    const vm = driver.instance('old');
    const dir = join(root, 'instances', 'old');
    const shell = new OpenSshGuestShell();
    try {
      const key = await ensureKeyPair({ dir: join(root, 'keys') });
      await vm.create({
        baseImage: image,
        diskBytes: 1024 ** 3,
        cloudInit: cloudInitFiles({
          instanceId: 'iid-old',
          hostname: 'old',
          sshAuthorizedKeys: [key.publicKey],
        }),
      });
      // What an older skiff ran: the legacy layout, straight through the backend (no layout file written).
      const sshPort = await freeLoopbackPort();
      await backend.start({
        name: 'old',
        dir,
        cpus: 1,
        memoryBytes: 256 * 1024 ** 2,
        nics: [{ kind: 'user', mac: '52:54:00:0d:00:01', sshPort }],
        accel: (await backend.detectAccelerator()).accel,
        layout: 'legacy',
      });
      const target = (port: number) => ({
        host: '127.0.0.1',
        port,
        user: 'ubuntu',
        keyPath: key.privateKeyPath,
        hostKey: { knownHostsFile: join(root, 'known_hosts'), alias: 'old', learn: true },
      });
      await shell.waitReady(target(sshPort), { timeoutMs: 240_000 });
      await shell.run(target(sshPort), 'echo kept-in-ram > /dev/shm/marker', { timeoutMs: 30_000 });
      await vm.suspender!.suspend();
      assert.equal(await vm.power(), 'suspended');

      const resumed = await vm.start({
        cpus: 1,
        memoryBytes: 256 * 1024 ** 2,
        nics: [{ mac: '52:54:00:0d:00:01', attach: { kind: 'user' } }],
        resume: true,
      });
      await shell.waitReady(target(resumed.port), { timeoutMs: 120_000 });
      const marker = await shell.run(target(resumed.port), 'cat /dev/shm/marker', { timeoutMs: 30_000 });
      assert.equal(marker.stdout, 'kept-in-ram\n', 'the RAM state came back');
      const layout = await readFile(join(dir, 'machine-layout'), 'utf8').catch(() => null);
      assert.equal(layout, null, 'a resume records no layout');

      await vm.stop({ force: true });
      const fresh = await vm.start({
        cpus: 1,
        memoryBytes: 256 * 1024 ** 2,
        nics: [{ mac: '52:54:00:0d:00:01', attach: { kind: 'user' } }],
      });
      await shell.waitReady(target(fresh.port), { timeoutMs: 240_000 });
      assert.equal(await readFile(join(dir, 'machine-layout'), 'utf8'), 'shares\n');
    } finally {
      await vm.destroy().catch(() => undefined);
      await rm(root, { recursive: true, force: true });
    }
  },
);
