import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { detectAccelerator, kvmFlavour, kvmProbeArgs, qemuKvmProbe } from './accel.js';

let dir = '';
let device = '';
let hardware = '';
before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'skiff-accel-'));
  device = join(dir, 'kvm'); // a read-write file stands in for the device node
  await writeFile(device, '');
  hardware = join(dir, 'modules-hw');
  await mkdir(join(hardware, 'kvm_intel'), { recursive: true });
});
after(() => rm(dir, { recursive: true, force: true }));

const works = async (): Promise<null> => null;

test('no device node: TCG, saying so, without running the probe', async () => {
  let probed = false;
  const result = await detectAccelerator({
    kvmPath: join(dir, 'absent'),
    probe: async () => ((probed = true), null),
  });
  assert.equal(result.accel, 'tcg');
  assert.match(result.reason, /^TCG \(software emulation, slow\): .*absent does not exist/);
  assert.equal(probed, false);
});

test('device opens, vendor module loaded, probe works: KVM', async () => {
  assert.deepEqual(await detectAccelerator({ kvmPath: device, sysModuleDir: hardware, probe: works }), {
    accel: 'kvm',
    reason: `KVM: ${device} is usable`,
  });
});

test('a failing probe means TCG with its reason', async () => {
  const result = await detectAccelerator({
    kvmPath: device,
    sysModuleDir: hardware,
    probe: async () => 'QEMU with KVM exited (SIGABRT): failed to set MSR 0x10a',
  });
  assert.equal(result.accel, 'tcg');
  assert.match(result.reason, /opens but KVM does not work: .*MSR 0x10a/);
});

test('only kvm_pvm loaded: TCG (it cannot run stock guests)', async () => {
  const pvm = join(dir, 'modules-pvm');
  await mkdir(join(pvm, 'kvm_pvm'), { recursive: true });
  assert.equal(await kvmFlavour(pvm), 'pvm-only');
  const result = await detectAccelerator({ kvmPath: device, sysModuleDir: pvm, probe: works });
  assert.equal(result.accel, 'tcg');
  assert.match(result.reason, /PVM/);
});

test('kvmFlavour: hardware and unknown', async () => {
  assert.equal(await kvmFlavour(hardware), 'hardware');
  assert.equal(await kvmFlavour(join(dir, 'no-sysfs')), 'unknown');
});

test('the probe runs the CPU model a real launch uses', () => {
  const args = kvmProbeArgs();
  assert.equal(args[args.indexOf('-machine') + 1], 'q35,accel=kvm');
  assert.equal(args[args.indexOf('-cpu') + 1], 'host');
  assert.equal(args[args.indexOf('-qmp') + 1], 'stdio');
});

test('a probe whose QEMU cannot run reports why', async () => {
  assert.match((await qemuKvmProbe(join(dir, 'no-qemu'))()) ?? '', /cannot run .*no-qemu/);
});

test('this host: one verdict line, quickly', async () => {
  const started = Date.now();
  const result = await detectAccelerator();
  assert.ok(['kvm', 'tcg'].includes(result.accel));
  assert.ok(result.reason.length > 0 && !result.reason.includes('\n'));
  assert.ok(Date.now() - started < 5_000);
});
