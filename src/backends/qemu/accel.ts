/**
 * @module Picks KVM or TCG, with one line saying which and why. /dev/kvm must open read-write (what QEMU
 * needs), and then a real QEMU must run a KVM vCPU: on nested or paravirtual hosts /dev/kvm can exist and open
 * while only a paravirtual flavour is loaded (kvm_pvm runs PVM-enabled guest kernels only: firmware and
 * bootloaders die with "KVM internal error"), or `-cpu host` aborts on MSRs the host refuses. So the vendor
 * module must be present, and a short probe boots SeaBIOS under KVM and watches it through QMP on stdio.
 */
import { spawn } from 'node:child_process';
import { constants } from 'node:fs';
import { access, open } from 'node:fs/promises';
import { join } from 'node:path';
import type { Accelerator } from './machine.js';
import { QEMU_BINARY } from './args.js';
import { QmpLineSplitter, encodeQmpCommand, parseQmpMessage } from './qmp-codec.js';

/** The default KVM device node. */
export const KVM_DEVICE = '/dev/kvm';

/** Resolves null when KVM works, or a short reason when it does not. */
export type KvmProbe = () => Promise<string | null>;

const TCG = 'TCG (software emulation, slow)';

function openFailure(path: string, code: string | undefined): string {
  switch (code) {
    case 'ENOENT':
      return `${TCG}: ${path} does not exist (no hardware virtualization here)`;
    case 'EACCES':
    case 'EPERM':
      return `${TCG}: ${path} is not accessible to this user (add it to the kvm group)`;
    default:
      return `${TCG}: ${path} cannot be opened (${code ?? 'unknown error'})`;
  }
}

/**
 * Which KVM flavour the kernel has loaded, from /sys/module: `hardware` (kvm_intel or kvm_amd), `pvm-only`
 * (kvm_pvm alone), or `unknown` (no sysfs to tell). Never throws.
 */
export async function kvmFlavour(sysModuleDir = '/sys/module'): Promise<'hardware' | 'pvm-only' | 'unknown'> {
  const has = (name: string): Promise<boolean> =>
    access(join(sysModuleDir, name)).then(
      () => true,
      () => false,
    );
  if ((await has('kvm_intel')) || (await has('kvm_amd'))) return 'hardware';
  return (await has('kvm_pvm')) ? 'pvm-only' : 'unknown';
}

/** QEMU's argv for the probe: the CPU model a real launch uses, firmware only, QMP on stdio. */
export function kvmProbeArgs(): string[] {
  return [
    ...['-nodefaults', '-no-user-config', '-display', 'none', '-machine', 'q35,accel=kvm', '-cpu', 'host'],
    ...['-m', '64M', '-qmp', 'stdio'],
  ];
}

/**
 * Runs SeaBIOS under KVM for `settleMs`: a QEMU that exits or reports `internal-error` means KVM is not
 * usable. Never throws (a failure to run QEMU is itself the reason).
 */
export function qemuKvmProbe(binary = QEMU_BINARY, settleMs = 750): KvmProbe {
  return () =>
    new Promise((resolve) => {
      const child = spawn(binary, kvmProbeArgs(), { stdio: ['pipe', 'pipe', 'pipe'] });
      const splitter = new QmpLineSplitter();
      let stderr = '';
      let verdict: string | null | undefined;
      const finish = (result: string | null): void => {
        if (verdict !== undefined) return;
        verdict = result;
        clearInterval(poll);
        clearTimeout(settle);
        child.stdin.end(encodeQmpCommand('quit'));
        setTimeout(() => child.kill('SIGKILL'), 1_000).unref();
        resolve(result);
      };
      const firstLine = (): string => stderr.trim().split('\n')[0] ?? '';
      child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
      child.stdin.on('error', () => undefined);
      child.stdout.on('data', (chunk: Buffer) => {
        for (const line of splitter.push(chunk)) {
          try {
            const message = parseQmpMessage(line);
            const status =
              message.kind === 'return' ? (message.value as { status?: string }).status : undefined;
            if (status === 'internal-error' || status === 'guest-panicked') {
              finish(`QEMU stopped the guest with ${status}${firstLine() ? `: ${firstLine()}` : ''}`);
            }
          } catch {
            // not QMP; ignore
          }
        }
      });
      child.once('error', (error) => finish(`cannot run ${binary}: ${error.message}`));
      child.once('exit', (code, signal) =>
        finish(`QEMU with KVM exited (${signal ?? `code ${code}`}): ${firstLine() || 'no output'}`),
      );
      child.stdin.write(encodeQmpCommand('qmp_capabilities'));
      const poll = setInterval(() => child.stdin.write(encodeQmpCommand('query-status')), 100);
      const settle = setTimeout(() => finish(null), settleMs);
    });
}

/**
 * KVM if `kvmPath` opens read-write, the vendor module is loaded, and `probe` (a real QEMU by default) runs a KVM vCPU, TCG otherwise;
 * `reason` is one line for the log. Never throws.
 */
export async function detectAccelerator(
  options: { kvmPath?: string; sysModuleDir?: string; probe?: KvmProbe } = {},
): Promise<{ accel: Accelerator; reason: string }> {
  const kvmPath = options.kvmPath ?? KVM_DEVICE;
  try {
    const handle = await open(kvmPath, constants.O_RDWR);
    await handle.close();
  } catch (error) {
    return { accel: 'tcg', reason: openFailure(kvmPath, (error as NodeJS.ErrnoException).code) };
  }
  if ((await kvmFlavour(options.sysModuleDir)) === 'pvm-only') {
    return {
      accel: 'tcg',
      reason: `${TCG}: ${kvmPath} is PVM (kvm_pvm without kvm_intel/kvm_amd), which cannot run stock guest kernels`,
    };
  }
  const failure = await (options.probe ?? qemuKvmProbe())();
  if (failure !== null)
    return { accel: 'tcg', reason: `${TCG}: ${kvmPath} opens but KVM does not work: ${failure}` };
  return { accel: 'kvm', reason: `KVM: ${kvmPath} is usable` };
}
