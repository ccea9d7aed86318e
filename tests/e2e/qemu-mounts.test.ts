/**
 * @module The QEMU driver's shares for real, on the test image: a host directory hot-plugged into a running
 * VM over virtiofs and mounted in the guest over SSH (files written on either side seen on the other), then
 * withdrawn; a share given at start present from the boot, across stop/start; and, with virtiofsd made
 * unavailable, 9p from the boot and attach() on a running VM refused as unsupported.
 */
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { QemuDriver } from '../../src/backends/qemu/driver.js';
import { virtiofsdFor } from '../../src/backends/qemu/virtiofsd.js';
import { ensureKeyPair } from '../../src/backends/ssh/keys.js';
import { OpenSshGuestShell } from '../../src/backends/ssh/session.js';
import type { SshTarget } from '../../src/core/ssh-args.js';
import type { GuestEndpoint, MountShare, VmInstance } from '../../src/services/instances/ports.js';
import { cloudInitFiles } from '../../src/services/instances/seed/cloud-init.js';
import { buildTestImage } from '../harness/qemu-test-vm.js';

const BOOT_MS = 240_000;
const NAME = 'mounts';

describe('QEMU driver shares end to end', { timeout: 20 * 60_000 }, () => {
  const shell = new OpenSshGuestShell();
  let root = '';
  let keyPath = '';
  let vm: VmInstance;
  let dir = '';
  let target: SshTarget;
  const shares: Record<'a' | 'b', MountShare> = {} as never;

  const ok = async (command: string): Promise<string> => {
    const result = await shell.run(target, command, { timeoutMs: 60_000 });
    assert.equal(result.code, 0, `${command}: ${result.stderr}`);
    return result.stdout.trim();
  };
  const boot = async (mounts: MountShare[] = []) => {
    const endpoint: GuestEndpoint = await vm.start({
      cpus: 1,
      memoryBytes: 256 * 1024 ** 2,
      nics: [{ mac: '52:54:00:5c:1f:31', attach: { kind: 'user' } }],
      mounts,
    });
    target = {
      host: endpoint.host,
      port: endpoint.port,
      user: 'ubuntu',
      keyPath,
      hostKey: { knownHostsFile: join(root, 'known_hosts'), alias: NAME, learn: true },
    };
    await shell.waitReady(target, { timeoutMs: BOOT_MS });
  };
  /** What the service does in the guest for each transport. */
  const mount = (tag: string, at: string, transport: 'virtiofs' | '9p') =>
    ok(
      `sudo mkdir -p ${at} && sudo mount -t ${transport} ` +
        `${transport === '9p' ? '-o trans=virtio,version=9p2000.L ' : ''}${tag} ${at}`,
    );

  before(async () => {
    const image = await buildTestImage();
    root = await mkdtemp(join(tmpdir(), 'skiff-mounts-'));
    const key = await ensureKeyPair({ dir: join(root, 'keys') });
    keyPath = key.privateKeyPath;
    for (const tag of ['a', 'b'] as const) {
      const source = join(root, `share-${tag}`);
      await mkdir(source);
      await writeFile(join(source, 'hello.txt'), `hello from ${tag}\n`);
      shares[tag] = { tag: `share-${tag}`, source, uidMap: [], gidMap: [] };
    }
    const driver = new QemuDriver({ root: join(root, 'instances') });
    assert.equal(driver.features.mounts, true);
    vm = driver.instance(NAME);
    dir = join(root, 'instances', NAME);
    await vm.create({
      baseImage: image,
      diskBytes: 1024 ** 3,
      cloudInit: cloudInitFiles({
        instanceId: 'iid-mounts',
        hostname: NAME,
        sshAuthorizedKeys: [key.publicKey],
      }),
    });
  });
  after(async () => {
    await vm?.destroy().catch(() => undefined);
    if (root) await rm(root, { recursive: true, force: true });
  });

  test('a running VM: attach shares a host dir over virtiofs both ways; detach withdraws it', async () => {
    await boot();
    // The test image's side: the filesystems are registered, and sshfs (for classic mounts) runs.
    const filesystems = (await ok('cat /proc/filesystems')).split('\n').map((line) => line.split('\t')[1]);
    for (const fs of ['virtiofs', '9p', 'fuse']) assert.ok(filesystems.includes(fs), fs);
    assert.match(await ok('sshfs -V 2>&1'), /SSHFS version 3\./);
    const mounter = vm.mounter!;
    assert.deepEqual(await mounter.transports([shares.a]), ['virtiofs']);
    assert.equal(await mounter.attach(shares.a), 'virtiofs');
    assert.equal(
      await mounter.attach(shares.a),
      'virtiofs',
      'attaching again (a restarted daemon) is harmless',
    );
    assert.notEqual(await virtiofsdFor(dir, shares.a.tag), null, 'its virtiofsd runs');
    await mount(shares.a.tag, '/mnt/a', 'virtiofs');
    assert.equal(await ok('cat /mnt/a/hello.txt'), 'hello from a');
    await writeFile(join(shares.a.source, 'later.txt'), 'written on the host later\n');
    assert.equal(await ok('cat /mnt/a/later.txt'), 'written on the host later');
    await ok('echo from the guest | sudo tee /mnt/a/back.txt >/dev/null');
    assert.equal(await readFile(join(shares.a.source, 'back.txt'), 'utf8'), 'from the guest\n');

    await ok('sudo umount /mnt/a');
    await mounter.detach(shares.a.tag);
    assert.equal(await virtiofsdFor(dir, shares.a.tag), null, 'its virtiofsd ended');
    const again = await shell.run(target, `sudo mount -t virtiofs ${shares.a.tag} /mnt/a`, {
      timeoutMs: 60_000,
    });
    assert.notEqual(again.code, 0, 'the guest can no longer mount the withdrawn share');
    await mounter.detach(shares.a.tag); // idempotent
    // A second attach after the detach reuses the freed port.
    assert.equal(await mounter.attach(shares.a), 'virtiofs');
    await mount(shares.a.tag, '/mnt/a', 'virtiofs');
    assert.equal(await ok('cat /mnt/a/back.txt'), 'from the guest');
  });

  test('a share given at start is there from the boot, across stop/start; stop ends its virtiofsd', async () => {
    await vm.stop({ force: true });
    assert.equal(await virtiofsdFor(dir, shares.a.tag), null);
    await boot([shares.b]);
    await mount(shares.b.tag, '/mnt/b', 'virtiofs');
    assert.equal(await ok('cat /mnt/b/hello.txt'), 'hello from b');
    // A hot-plugged share next to the boot one.
    assert.equal(await vm.mounter!.attach(shares.a), 'virtiofs');
    await mount(shares.a.tag, '/mnt/a', 'virtiofs');
    assert.equal(await ok('cat /mnt/a/hello.txt'), 'hello from a');
    // A restarted daemon (a new driver) finds the running virtiofsd through its pidfile: attaching again is a no-op.
    const before = await virtiofsdFor(dir, shares.a.tag);
    const readopted = new QemuDriver({ root: join(root, 'instances') }).instance(NAME);
    assert.equal(await readopted.mounter!.attach(shares.a), 'virtiofs');
    assert.equal((await virtiofsdFor(dir, shares.a.tag))?.pid, before?.pid);
    // A virtiofsd that died is replaced by the next attach (device unplugged and plugged again).
    await ok('sudo umount /mnt/a');
    process.kill(before!.pid, 'SIGKILL');
    assert.equal(await readopted.mounter!.attach(shares.a), 'virtiofs');
    const healed = await virtiofsdFor(dir, shares.a.tag);
    assert.ok(healed !== null && healed.pid !== before!.pid, 'a new virtiofsd serves the share');
    await mount(shares.a.tag, '/mnt/a', 'virtiofs');
    await ok('sudo umount /mnt/b');
    await vm.mounter!.detach(shares.b.tag); // a boot share can be withdrawn too
    assert.equal(await ok('cat /mnt/a/hello.txt'), 'hello from a');
    await vm.stop({ force: true });
    assert.equal(await virtiofsdFor(dir, shares.b.tag), null);
    assert.equal(await virtiofsdFor(dir, shares.a.tag), null);
  });

  test('without virtiofsd: 9p from the boot; attach on a running VM is unsupported, saying to restart', async () => {
    const driver = new QemuDriver({ root: join(root, 'instances'), virtiofsd: join(root, 'no-virtiofsd') });
    vm = driver.instance(NAME);
    assert.deepEqual(await vm.mounter!.transports([shares.b]), ['9p']);
    await boot([shares.b]);
    await mount(shares.b.tag, '/mnt/b', '9p');
    assert.equal(await ok('cat /mnt/b/hello.txt'), 'hello from b');
    await ok('echo nine | sudo tee /mnt/b/nine.txt >/dev/null');
    assert.equal(await readFile(join(shares.b.source, 'nine.txt'), 'utf8'), 'nine\n');
    await assert.rejects(vm.mounter!.attach(shares.a), {
      code: 'unsupported',
      message: /9p share can only be added at boot: restart the instance/,
    });
    await vm.stop({ force: true });
  });
});
