/**
 * @module The behaviour every VM driver shares, as one test suite run against each (in the manner of hono's
 * common router cases): the fake driver in unit tests, the QEMU driver end to end with a real image. A fake
 * that passes it cannot drift from the real thing.
 */
import assert from 'node:assert/strict';
import { createSocket } from 'node:dgram';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import {
  capability,
  type CloudInitData,
  type DriverFeature,
  type GuestEndpoint,
  type HostForwardRule,
  type MountShare,
  type MountTransport,
  type VmDriver,
  type VmInstance,
} from '../services/instances/ports.js';

export interface ContractSetup {
  driver: VmDriver;
  baseImage: string;
  cloudInit: CloudInitData;
  /** Disk size to create with, and a bigger one to grow to. */
  diskBytes: number;
  grownDiskBytes: number;
  memoryBytes: number;
  /** Whether the guest answers at the endpoint (real drivers: an SSH banner). */
  reachable?: (endpoint: GuestEndpoint) => Promise<boolean>;
  /** Waits until the guest can take a graceful shutdown (real guests: booted far enough for ACPI). */
  settled?: (endpoint: GuestEndpoint) => Promise<void>;
  /** Mounts share `tag` in the guest, reads `file` from it and unmounts (real drivers: over SSH). */
  readShared?: (
    endpoint: GuestEndpoint,
    tag: string,
    transport: MountTransport,
    file: string,
  ) => Promise<string>;
  cleanup(): Promise<void>;
}

const MAC = '52:54:00:c0:ff:ee';

export function vmDriverContract(
  label: string,
  setup: () => Promise<ContractSetup>,
  timeoutMs = 60_000,
): void {
  describe(`VM driver contract: ${label}`, { timeout: timeoutMs }, () => {
    let s: ContractSetup;
    let vm: VmInstance;
    const boot = async (resume = false) => {
      const endpoint = await vm.start({
        cpus: 1,
        memoryBytes: s.memoryBytes,
        nics: [{ mac: MAC, attach: { kind: 'user' } }],
        resume,
      });
      await s.settled?.(endpoint);
      return endpoint;
    };

    before(async () => {
      s = await setup();
      vm = s.driver.instance('contract');
    });
    after(async () => {
      await vm?.destroy().catch(() => undefined);
      await s?.cleanup();
    });

    test('an instance that was never created is stopped, and destroying it is harmless', async () => {
      assert.equal(await vm.power(), 'stopped');
      assert.equal(await vm.endpoint(), null);
      assert.equal(await vm.pid(), null);
      await vm.destroy();
    });

    test('create makes a stopped instance with the disk size asked for', async () => {
      await vm.create({ baseImage: s.baseImage, diskBytes: s.diskBytes, cloudInit: s.cloudInit });
      assert.equal(await vm.power(), 'stopped');
      assert.equal((await vm.disk()).virtualBytes, s.diskBytes);
    });

    test('start runs it; the endpoint it returns is where the guest answers', async () => {
      const endpoint = await boot();
      assert.equal(await vm.power(), 'running');
      assert.deepEqual(await vm.endpoint(), endpoint);
      assert.notEqual(await vm.pid(), null);
      if (s.reachable)
        assert.ok(await s.reachable(endpoint), `nothing answers at ${JSON.stringify(endpoint)}`);
    });

    test('a graceful stop and a forced stop both leave it stopped, with no endpoint', async () => {
      await vm.stop({ timeoutMs: 120_000 });
      assert.equal(await vm.power(), 'stopped');
      assert.equal(await vm.endpoint(), null);
      await boot();
      await vm.stop({ force: true });
      assert.equal(await vm.power(), 'stopped');
      assert.equal(await vm.pid(), null);
    });

    test('capabilities are present exactly when the features say so; a missing one is a named error', () => {
      assert.equal(vm.suspender !== undefined, s.driver.features.suspend);
      assert.equal(vm.resizer !== undefined, s.driver.features.resize);
      assert.equal(vm.hostForwarder !== undefined, s.driver.features.forward);
      assert.equal(vm.mounter !== undefined, s.driver.features.mounts);
      assert.equal(vm.cloner !== undefined, s.driver.features.clone === true);
      assert.equal(vm.seed !== undefined, s.driver.features.reseed === true);
      assert.equal(vm.snapshotter !== undefined, s.driver.features.snapshots);
      const missing = (Object.keys(s.driver.features) as DriverFeature[]).find((f) => !s.driver.features[f]);
      if (missing === undefined) return;
      assert.throws(() => capability(s.driver, missing, undefined), {
        code: 'unsupported',
        message: new RegExp(`^the ${s.driver.name} driver does not support `),
      });
    });

    test('resize grows a stopped disk, never shrinks it, and refuses while running', async (t) => {
      if (!vm.resizer) return t.skip(`the ${s.driver.name} driver cannot resize`);
      await vm.resizer.grow(s.grownDiskBytes);
      assert.equal((await vm.disk()).virtualBytes, s.grownDiskBytes);
      await assert.rejects(vm.resizer.grow(s.diskBytes), { code: 'invalid-argument' });
      await boot();
      await assert.rejects(vm.resizer.grow(s.grownDiskBytes * 2), { code: 'conflict' });
      await vm.stop({ force: true });
    });

    test('suspend saves the running VM; start with resume restores it and drops the saved state', async (t) => {
      if (!vm.suspender) return t.skip(`the ${s.driver.name} driver cannot suspend`);
      await boot();
      await vm.suspender.suspend();
      assert.equal(await vm.power(), 'suspended');
      assert.equal(await vm.suspender.hasState(), true);
      await boot(true);
      assert.equal(await vm.power(), 'running');
      assert.equal(await vm.suspender.hasState(), false);
      await vm.stop({ force: true });
    });

    test('a saved state can be discarded: the instance is then plainly stopped', async (t) => {
      if (!vm.suspender) return t.skip(`the ${s.driver.name} driver cannot suspend`);
      await boot();
      await vm.suspender.suspend();
      await vm.suspender.discard();
      assert.equal(await vm.suspender.hasState(), false);
      assert.equal(await vm.power(), 'stopped');
    });

    test('snapshots: disk only when stopped, with memory when running; revert, load and remove them', async (t) => {
      const snapshots = vm.snapshotter;
      if (!snapshots) return t.skip(`the ${s.driver.name} driver cannot take snapshots`);
      assert.deepEqual(await snapshots.take('contract-1'), { memory: false });
      await assert.rejects(snapshots.take('contract-1'), { code: 'conflict' }, 'an id is taken once');
      await snapshots.revert('contract-1');
      await boot();
      await assert.rejects(
        snapshots.revert('contract-1'),
        { code: 'conflict' },
        'no disk revert while it runs',
      );
      assert.deepEqual(await snapshots.take('contract-2'), { memory: true });
      assert.equal(await vm.power(), 'running', 'the guest carries on after a memory snapshot');
      await vm.stop({ force: true });
      await vm.start(
        {
          cpus: 1,
          memoryBytes: s.memoryBytes,
          nics: [{ mac: MAC, attach: { kind: 'user' } }],
          loadSnapshot: 'contract-2',
        },
        AbortSignal.timeout(120_000),
      );
      assert.equal(await vm.power(), 'running');
      await snapshots.remove('contract-2'); // while it runs
      await vm.stop({ force: true });
      await snapshots.remove('contract-1');
      await snapshots.remove('contract-1'); // idempotent
      assert.deepEqual(await snapshots.list(), []);
    });

    test('a forward holds its host port while the VM runs; remove and stop free it; taken is a conflict', async (t) => {
      const forwarder = vm.hostForwarder;
      if (!forwarder) return t.skip(`the ${s.driver.name} driver cannot forward ports`);
      const tcp: HostForwardRule = {
        protocol: 'tcp',
        hostAddress: '127.0.0.1',
        hostPort: await freePort('tcp'),
        guestPort: 22,
      };
      const udp: HostForwardRule = {
        ...tcp,
        protocol: 'udp',
        hostPort: await freePort('udp'),
        guestPort: 53,
      };
      await assert.rejects(forwarder.add(tcp), { code: 'conflict' }, 'a stopped VM takes no forward');
      assert.equal(await taken(tcp), false);
      await boot();
      await forwarder.add(tcp);
      await forwarder.add(udp);
      assert.equal(await taken(tcp), true);
      assert.equal(await taken(udp), true);
      if (s.reachable) {
        const through = { host: tcp.hostAddress, port: tcp.hostPort };
        assert.ok(await s.reachable(through), 'the guest answers through the forwarded port');
      }
      await forwarder.add(tcp); // the same host side again replaces it (a restarted daemon re-adds)
      assert.equal(await taken(tcp), true);
      const occupied = await listen(await freePort('tcp'));
      try {
        const port = (occupied.address() as { port: number }).port;
        await assert.rejects(forwarder.add({ ...tcp, hostPort: port }), { code: 'conflict' });
      } finally {
        await new Promise((resolve) => occupied.close(resolve));
      }
      await forwarder.remove(udp);
      assert.equal(await taken(udp), false);
      await forwarder.remove(udp); // idempotent
      await vm.stop({ force: true });
      assert.equal(await taken(tcp), false, 'the rules end with the VM');
      await forwarder.remove(tcp); // a stopped VM: nothing to remove, no error
    });

    test('a share attached to the running VM reaches the guest; detach withdraws it; a stopped VM takes none', async (t) => {
      const mounter = vm.mounter;
      if (!mounter) return t.skip(`the ${s.driver.name} driver cannot share folders`);
      const source = await mkdtemp(join(tmpdir(), 'skiff-contract-share-'));
      try {
        await writeFile(join(source, 'marker'), 'shared by the host\n');
        const share: MountShare = { tag: 'contract', source, uidMap: [], gidMap: [] };
        await assert.rejects(mounter.attach(share), { code: 'conflict' }, 'a stopped VM takes no share');
        const endpoint = await boot();
        const [transport] = await mounter.transports([share]);
        if (transport === '9p') {
          await assert.rejects(mounter.attach(share), { code: 'unsupported', message: /restart/ });
        } else {
          assert.equal(await mounter.attach(share), 'virtiofs');
          if (s.readShared)
            assert.equal(
              await s.readShared(endpoint, share.tag, 'virtiofs', 'marker'),
              'shared by the host\n',
            );
          await mounter.detach(share.tag);
          await mounter.detach(share.tag); // idempotent
        }
      } finally {
        await vm.stop({ force: true });
        await rm(source, { recursive: true, force: true });
      }
    });

    test('destroy ends the VM and removes its storage: the name can be created again', async () => {
      await boot();
      await vm.destroy();
      assert.equal(await vm.power(), 'stopped');
      await assert.rejects(vm.disk());
      await vm.create({ baseImage: s.baseImage, diskBytes: s.diskBytes, cloudInit: s.cloudInit });
      assert.equal((await vm.disk()).virtualBytes, s.diskBytes);
      await vm.destroy();
    });
  });
}

/** A port the kernel says is free now on 127.0.0.1. */
async function freePort(protocol: 'tcp' | 'udp'): Promise<number> {
  if (protocol === 'tcp') {
    const server = await listen(0);
    const { port } = server.address() as { port: number };
    await new Promise((resolve) => server.close(resolve));
    return port;
  }
  const socket = createSocket('udp4');
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
  const { port } = socket.address();
  await new Promise<void>((resolve) => socket.close(resolve));
  return port;
}

function listen(port: number): Promise<Server> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject).listen({ host: '127.0.0.1', port, exclusive: true }, () => resolve(server));
  });
}

/** Whether binding the rule's host side fails with EADDRINUSE (someone holds it). */
async function taken(rule: HostForwardRule): Promise<boolean> {
  const inUse = (error: NodeJS.ErrnoException): true => {
    if (error.code === 'EADDRINUSE') return true;
    throw error;
  };
  if (rule.protocol === 'tcp') {
    const server = await listen(rule.hostPort).catch(inUse);
    if (server === true) return true;
    await new Promise((resolve) => server.close(resolve));
    return false;
  }
  const socket = createSocket('udp4');
  const bound = await new Promise<boolean>((resolve, reject) => {
    socket.once('error', (error: NodeJS.ErrnoException) =>
      error.code === 'EADDRINUSE' ? resolve(false) : reject(error),
    );
    socket.bind({ address: rule.hostAddress, port: rule.hostPort, exclusive: true }, () => resolve(true));
  });
  await new Promise<void>((resolve) => socket.close(() => resolve())).catch(() => undefined);
  return !bound;
}
