import assert from 'node:assert/strict';
import { test } from 'node:test';
import { qemuArgs, validateLaunchSpec } from './args.js';
import type { VmLaunchSpec } from './machine.js';
import { SPARE_ROOT_PORTS, rootPortArgs, shareArgs, sharedMemoryArgs } from './share-args.js';

const spec: VmLaunchSpec = {
  name: 'primary',
  dir: '/var/lib/skiff/instances/primary',
  cpus: 1,
  memoryBytes: 512 * 1024 * 1024,
  nics: [{ kind: 'user', mac: '52:54:00:ab:cd:ef', sshPort: 40022 }],
  accel: 'tcg',
};

test('sharedMemoryArgs: guest RAM from a shared memfd of the -m size, selected by the machine', () => {
  assert.deepEqual(sharedMemoryArgs(512 * 1024 * 1024 + 5), {
    args: ['-object', 'memory-backend-memfd,id=mem,size=512M,share=on'],
    machineOption: 'memory-backend=mem',
  });
});

test('rootPortArgs: distinct chassis numbers, no I/O window', () => {
  assert.deepEqual(rootPortArgs(2), [
    ...['-device', 'pcie-root-port,id=rp0,chassis=1,io-reserve=0'],
    ...['-device', 'pcie-root-port,id=rp1,chassis=2,io-reserve=0'],
  ]);
});

test('shareArgs: virtiofs through a chardev to its virtiofsd, 9p through an fsdev; share i on port i', () => {
  assert.deepEqual(
    shareArgs([
      { kind: 'virtiofs', tag: 'home', socket: '/d/fs-home.sock' },
      { kind: '9p', tag: 'src-2', source: '/srv/a,b', securityModel: 'passthrough' },
    ]),
    [
      ...['-chardev', 'socket,id=fsc-home,path=/d/fs-home.sock'],
      ...['-device', 'vhost-user-fs-pci,id=fs-home,chardev=fsc-home,tag=home,bus=rp0'],
      ...['-fsdev', 'local,id=fsd-src-2,path=/srv/a,,b,security_model=passthrough,multidevs=remap'],
      ...['-device', 'virtio-9p-pci,id=fs-src-2,fsdev=fsd-src-2,mount_tag=src-2,bus=rp1'],
    ],
  );
});

test('qemuArgs: boot shares get ports of their own, and the spare ports follow them', () => {
  const args = qemuArgs(
    { ...spec, shares: [{ kind: 'virtiofs', tag: 'home', socket: `${spec.dir}/fs-home.sock` }] },
    { base: null },
  );
  const ports = args.filter((arg) => arg.startsWith('pcie-root-port,'));
  assert.equal(ports.length, 1 + SPARE_ROOT_PORTS);
  assert.ok(args.includes('vhost-user-fs-pci,id=fs-home,chardev=fsc-home,tag=home,bus=rp0'));
  // Without shares, the spare ports alone.
  assert.equal(
    qemuArgs(spec, { base: null }).filter((arg) => arg.startsWith('pcie-root-port,')).length,
    SPARE_ROOT_PORTS,
  );
});

test('validateLaunchSpec: bad tags, a repeated tag, a relative 9p source and a long socket are named', () => {
  assert.throws(
    () =>
      validateLaunchSpec({
        ...spec,
        shares: [
          { kind: 'virtiofs', tag: 'Bad_Tag', socket: '/d/s' },
          { kind: '9p', tag: 'a', source: 'rel', securityModel: 'mapped-xattr' },
          { kind: 'virtiofs', tag: 'a', socket: `/${'s'.repeat(120)}` },
        ],
      }),
    (error: Error & { code?: string }) => {
      assert.equal(error.code, 'invalid-argument');
      for (const field of [
        'shares[0].tag:',
        'shares[1].source:',
        'shares[2].tag: a is used twice',
        'shares[2].socket:',
      ])
        assert.ok(error.message.includes(field), field);
      return true;
    },
  );
});
