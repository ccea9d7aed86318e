import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { VmLaunchSpec } from './machine.js';
import { diskArgs, inheritedFds, nicArgs, qemuArgs, qemuOptValue, validateLaunchSpec } from './args.js';

const spec: VmLaunchSpec = {
  name: 'primary',
  dir: '/var/lib/skiff/instances/primary',
  cpus: 2,
  memoryBytes: 1024 * 1024 * 1024,
  nics: [{ kind: 'user', mac: '52:54:00:AB:CD:EF', sshPort: 40022 }],
  accel: 'tcg',
};
const D = spec.dir;

const BASE = { base: { path: '/var/lib/skiff/vault/images/abc.img', format: 'qcow2' as const } };
const blockdev = (options: object) => ['-blockdev', JSON.stringify(options)];

test('qemuArgs: the full argv for a TCG launch', () => {
  assert.deepEqual(qemuArgs(spec, BASE), [
    ...['-name', 'guest=primary', '-nodefaults', '-no-user-config'],
    ...['-machine', 'q35,accel=tcg,memory-backend=mem', '-cpu', 'max', '-smp', '2', '-m', '1024M'],
    ...['-object', 'memory-backend-memfd,id=mem,size=1024M,share=on', '-display', 'none'],
    ...blockdev({
      driver: 'file',
      filename: '/var/lib/skiff/vault/images/abc.img',
      'node-name': 'base-file',
      'read-only': true,
    }),
    ...blockdev({
      driver: 'qcow2',
      file: 'base-file',
      'node-name': 'base',
      'read-only': true,
      backing: null,
    }),
    ...blockdev({ driver: 'file', filename: `${D}/disk.qcow2`, 'node-name': 'disk-file', discard: 'unmap' }),
    ...blockdev({
      driver: 'qcow2',
      file: 'disk-file',
      'node-name': 'disk',
      discard: 'unmap',
      backing: 'base',
    }),
    ...['-device', 'virtio-blk-pci,drive=disk'],
    ...['-drive', `file=${D}/seed.iso,format=raw,if=virtio,readonly=on`],
    ...['-netdev', 'user,id=n0,hostfwd=tcp:127.0.0.1:40022-:22'],
    ...['-device', 'virtio-net-pci,netdev=n0,mac=52:54:00:ab:cd:ef'],
    ...[0, 1, 2, 3, 4, 5, 6, 7].flatMap((i) => [
      '-device',
      `pcie-root-port,id=rp${i},chassis=${i + 1},io-reserve=0`,
    ]),
    ...['-object', 'rng-random,id=rng0,filename=/dev/urandom', '-device', 'virtio-rng-pci,rng=rng0'],
    ...['-qmp', `unix:${D}/qmp.sock,server=on,wait=off`],
    ...['-pidfile', `${D}/qemu.pid`],
    ...['-serial', `file:${D}/serial.log`],
  ]);
});

test('diskArgs: a raw base has no backing option; a disk without a base has backing null', () => {
  const raw = diskArgs('/d/disk.qcow2', { path: '/b.img', format: 'raw' });
  assert.equal(
    raw[3],
    JSON.stringify({ driver: 'raw', file: 'base-file', 'node-name': 'base', 'read-only': true }),
  );
  const alone = diskArgs('/d/disk.qcow2', null);
  assert.equal(alone.length, 4);
  assert.equal(JSON.parse(alone[3]!).backing, null);
});

test('qemuArgs: KVM uses the host CPU model', () => {
  const args = qemuArgs({ ...spec, accel: 'kvm' }, BASE);
  assert.equal(args[args.indexOf('-machine') + 1], 'q35,accel=kvm,memory-backend=mem');
  assert.equal(args[args.indexOf('-cpu') + 1], 'host');
});

test('qemuArgs: resuming adds -loadvm with the suspend snapshot, last', () => {
  assert.deepEqual(qemuArgs({ ...spec, resumeFromSuspend: true }, BASE).slice(-2), [
    '-loadvm',
    'skiff-suspend',
  ]);
  assert.equal(qemuArgs({ ...spec, resumeFromSuspend: false }, BASE).includes('-loadvm'), false);
});

test('qemuArgs: no -daemonize (QEMU is spawned detached instead)', () => {
  assert.equal(qemuArgs(spec, BASE).includes('-daemonize'), false);
});

test('qemuArgs: memory is whole MiB, rounded down', () => {
  const args = qemuArgs({ ...spec, memoryBytes: 512 * 1024 * 1024 + 1234 }, BASE);
  assert.equal(args[args.indexOf('-m') + 1], '512M');
});

test('qemuArgs: the SSH forward is bound to loopback only', () => {
  const netdev = qemuArgs(spec, BASE)[qemuArgs(spec, BASE).indexOf('-netdev') + 1];
  assert.match(netdev ?? '', /hostfwd=tcp:127\.0\.0\.1:40022-:22$/);
});

test('qemuArgs: commas in paths are doubled in option values, not in -pidfile or -serial file:', () => {
  const args = qemuArgs({ ...spec, dir: '/data/a,b', name: 'x,y' }, BASE);
  assert.ok(
    args.includes(
      JSON.stringify({
        driver: 'file',
        filename: '/data/a,b/disk.qcow2',
        'node-name': 'disk-file',
        discard: 'unmap',
      }),
    ),
  );
  assert.ok(args.includes('unix:/data/a,,b/qmp.sock,server=on,wait=off'));
  assert.ok(args.includes('guest=x,,y'));
  assert.ok(args.includes('/data/a,b/qemu.pid'));
  assert.ok(args.includes('file:/data/a,b/serial.log'));
  assert.equal(qemuOptValue('a,,b'), 'a,,,,b');
});

test('validateLaunchSpec: names every bad field at once', () => {
  assert.throws(
    () =>
      validateLaunchSpec({
        ...spec,
        dir: 'rel',
        cpus: 0,
        memoryBytes: 1,
        nics: [
          { kind: 'user', sshPort: 70000, mac: 'nope' },
          { kind: 'user', sshPort: 22, mac: '52:54:00:00:00:01' },
          { kind: 'tap', mac: '52:54:00:00:00:02', ifname: 'a-name-far-too-long', bridge: 'br 0' },
        ],
      }),
    (error: Error & { code?: string }) => {
      assert.equal(error.code, 'invalid-argument');
      const fields = [
        'dir:',
        'cpus:',
        'memoryBytes:',
        'nics[0].sshPort:',
        'nics[0].mac:',
        'nics[1]: only the first',
      ];
      for (const field of [...fields, 'nics[2].ifname:', 'nics[2].bridge:'])
        assert.ok(error.message.includes(field), field);
      return true;
    },
  );
});

test('validateLaunchSpec: a QMP socket path over the unix-socket limit is refused up front', () => {
  assert.throws(() => validateLaunchSpec({ ...spec, dir: `/${'d'.repeat(98)}` }), /107-byte limit/);
  assert.doesNotThrow(() => validateLaunchSpec({ ...spec, dir: `/${'d'.repeat(97)}` }));
});

test('nicArgs: user, tap and macvtap NICs in guest order; a tap makes QEMU start paused (-S)', () => {
  const nics: VmLaunchSpec['nics'] = [
    { kind: 'tap', mac: '52:54:00:00:00:0A', ifname: 'sk01234567t0', bridge: 'skiffbr0' },
    { kind: 'macvtap', mac: '52:54:00:00:00:0b', hostFd: 41 },
    { kind: 'macvtap', mac: '52:54:00:00:00:0c', hostFd: 17 },
  ];
  assert.deepEqual(nicArgs(nics), [
    ...['-netdev', 'tap,id=n0,ifname=sk01234567t0,script=no,downscript=no'],
    ...['-device', 'virtio-net-pci,netdev=n0,mac=52:54:00:00:00:0a'],
    ...['-netdev', 'tap,id=n1,fd=3', '-device', 'virtio-net-pci,netdev=n1,mac=52:54:00:00:00:0b'],
    ...['-netdev', 'tap,id=n2,fd=4', '-device', 'virtio-net-pci,netdev=n2,mac=52:54:00:00:00:0c'],
  ]);
  // QEMU inherits the daemon's descriptors in the same order: its fd 3 is our 41.
  assert.deepEqual(inheritedFds(nics), [41, 17]);
  assert.ok(qemuArgs({ ...spec, nics }, BASE).includes('-S'));
  assert.ok(!qemuArgs(spec, BASE).includes('-S'));
});

test('validateLaunchSpec: a VM without NICs, or a macvtap without a descriptor, is refused', () => {
  assert.throws(() => validateLaunchSpec({ ...spec, nics: [] }), /nics: at least one NIC/);
  assert.throws(
    () => validateLaunchSpec({ ...spec, nics: [{ kind: 'macvtap', mac: '52:54:00:00:00:01', hostFd: -1 }] }),
    /nics\[0\]\.hostFd/,
  );
});

test('qemuArgs: the legacy layout (resuming a state saved before shares) has no shared RAM and no root ports', () => {
  const legacy = qemuArgs({ ...spec, layout: 'legacy' }, BASE);
  assert.ok(legacy.includes('q35,accel=tcg'));
  assert.ok(!legacy.some((a) => a.includes('memory-backend')));
  assert.ok(!legacy.some((a) => a.startsWith('pcie-root-port')));
  const current = qemuArgs(spec, BASE);
  assert.ok(current.some((a) => a.startsWith('memory-backend-memfd')));
  assert.ok(current.some((a) => a.startsWith('pcie-root-port')));
});
