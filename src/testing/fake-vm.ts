/**
 * @module In-memory VmBackend, GuestShell, image store and seed writer for unit tests of the instances
 * service. Each keeps a log of calls and can be told to fail or to block.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { GuestShell, SshTarget, VmBackend, VmLaunchSpec, VmPower } from '../backends/vm.js';
import { SkiffError } from '../core/errors.js';
import type {
  AcquiredImage,
  ImageSource,
  ImageStore,
  SeedRequest,
  SeedWriter,
} from '../services/instances/ports.js';

export class FakeVmBackend implements VmBackend {
  readonly vms = new Map<
    string,
    { power: VmPower; spec: VmLaunchSpec | null; saved: boolean; pid: number }
  >();
  readonly calls: string[] = [];
  failStart: Error | null = null;
  /** When set, start() waits for this promise (to hold an operation in flight). */
  startGate: Promise<void> | null = null;
  private nextPid = 1000;

  async detectAccelerator() {
    return { accel: 'tcg' as const, reason: 'fake' };
  }
  async createDisk({ dir, baseImage }: { dir: string; baseImage: string; diskBytes: number }) {
    this.calls.push(`createDisk ${dir}`);
    await mkdir(dir, { recursive: true });
    await writeFile(join(dir, 'disk.qcow2'), `backed by ${baseImage}`);
    this.vms.set(dir, { power: 'stopped', spec: null, saved: false, pid: 0 });
  }
  async resizeDisk() {}
  async diskInfo() {
    return { virtualBytes: 5 * 2 ** 30, actualBytes: 2 ** 20, backingFile: null };
  }
  async start(spec: VmLaunchSpec) {
    this.calls.push(`start ${spec.name}${spec.resumeFromSuspend ? ' resume' : ''}`);
    if (this.startGate) await this.startGate;
    if (this.failStart) throw this.failStart;
    const vm = this.vm(spec.dir);
    vm.power = 'running';
    vm.spec = spec;
    vm.saved = false;
    vm.pid = this.nextPid++;
    return { pid: vm.pid };
  }
  async power(dir: string): Promise<VmPower> {
    const vm = this.vms.get(dir);
    if (!vm) return 'stopped';
    return vm.power === 'stopped' && vm.saved ? 'suspended' : vm.power;
  }
  async pid(dir: string) {
    const vm = this.vms.get(dir);
    return vm?.power === 'running' || vm?.power === 'paused' ? vm.pid : null;
  }
  async powerdown(dir: string) {
    this.calls.push(`powerdown ${dir}`);
    const vm = this.vms.get(dir);
    if (vm) vm.power = 'stopped';
  }
  async kill(dir: string) {
    this.calls.push(`kill ${dir}`);
    const vm = this.vms.get(dir);
    if (vm) vm.power = 'stopped';
  }
  async suspend(dir: string) {
    this.calls.push(`suspend ${dir}`);
    const vm = this.vm(dir);
    vm.power = 'stopped';
    vm.saved = true;
  }
  async settleSuspend(dir: string) {
    this.calls.push(`settleSuspend ${dir}`);
    const vm = this.vm(dir);
    if (vm.power === 'stopped') return vm.saved ? ('suspended' as const) : ('stopped' as const);
    if (vm.power === 'paused' && vm.saved) {
      vm.power = 'stopped';
      return 'suspended' as const;
    }
    vm.power = 'running';
    return 'running' as const;
  }
  async hasSuspendState(dir: string) {
    return this.vms.get(dir)?.saved ?? false;
  }
  async reset() {}
  /**
   * Simulates a daemon that died during suspend: QEMU is left paused, with the state saved (the save
   * completed) or not (it had not started), or gone after saving (`exited`).
   */
  interruptSuspend(dir: string, at: 'before-save' | 'after-save' | 'exited') {
    const vm = this.vm(dir);
    vm.power = at === 'exited' ? 'stopped' : 'paused';
    vm.saved = at !== 'before-save';
  }
  /** Simulates the guest powering itself off. */
  crash(dir: string) {
    this.vm(dir).power = 'stopped';
  }
  private vm(dir: string) {
    const vm = this.vms.get(dir);
    if (!vm) throw new SkiffError('internal', `fake: no VM in ${dir}`);
    return vm;
  }
}

export class FakeGuestShell implements GuestShell {
  readonly commands: string[] = [];
  output =
    'PRETTY_NAME="Fake OS 1.0"\n@@\n0.10 0.20 0.30 1/100 42\n@@\n/dev/vda2 5000000000 1000000000 4000000000 20% /\n@@\nMemTotal: 1000000 kB\nMemFree: 500000 kB\nMemAvailable: 600000 kB\n@@\n10.0.2.15 \n';
  /** What `cloud-init status --format json` says in the guest. */
  cloudInitStatus = '{"status": "done", "errors": []}';
  /** How many coming sessions time out first (a guest under load). */
  slowSessions = 0;
  async waitReady() {}
  async run(_target: SshTarget, command: string) {
    this.commands.push(command);
    if (this.slowSessions > 0) {
      this.slowSessions--;
      throw new SkiffError('timeout', 'ssh ubuntu@127.0.0.1 timed out after 90000 ms');
    }
    if (command.includes('boot-finished'))
      return { code: 0, stdout: `@@skiff-status@@\n${this.cloudInitStatus}\n`, stderr: '' };
    return { code: 0, stdout: this.output, stderr: '' };
  }
}

export class FakeImages implements ImageStore {
  readonly users = new Map<string, Set<string>>();
  failWith: Error | null = null;
  async acquire(source: ImageSource, instance: string): Promise<AcquiredImage> {
    if (this.failWith) throw this.failWith;
    const id = source.kind === 'catalog' ? source.image.id : 'f'.repeat(64);
    (this.users.get(id) ?? this.users.set(id, new Set()).get(id)!).add(instance);
    return { id, path: `/images/${id}.img`, sizeBytes: 1000 };
  }
  async release(id: string, instance: string) {
    this.users.get(id)?.delete(instance);
  }
}

export class FakeSeed implements SeedWriter {
  readonly written: SeedRequest[] = [];
  async validate(text: string) {
    if (text.includes('\t'))
      throw new SkiffError('invalid-argument', 'cloud-init: tabs are not valid YAML indentation');
  }
  async write(request: SeedRequest) {
    this.written.push(request);
    return { hostPublicKey: request.hostKey.publicKey };
  }
}
