/**
 * @module Pure: the QEMU argv for shared folders. Every VM gets its RAM from a shared memfd (vhost-user-fs
 * needs the virtiofsd to map guest memory) and a few spare PCIe root ports: q35's root bus pcie.0 cannot take
 * hot-plugged devices, a root port can, one device each. Boot-time shares sit on root ports too, so that they
 * can be unplugged like hot-plugged ones.
 */
import { SkiffError } from '../../core/errors.js';
import type { QemuShare } from './machine.js';

/**
 * Empty root ports every boot gets for shares attached while it runs. Eight: more than a project's usual
 * handful of mounts, while each port costs only a PCI slot on pcie.0 (32 in all, ~8 taken by the disk, seed,
 * NICs and rng) and a small MMIO window the firmware reserves. A boot after more hot-plugs puts those shares
 * on ports of their own and again adds eight empty ones.
 */
export const SPARE_ROOT_PORTS = 8;

/** `mount -t virtiofs TAG`: also part of QEMU ids and file names, so kept to a safe alphabet. */
export const SHARE_TAG = /^[a-z0-9][a-z0-9-]{0,30}$/;

const MIB = 1024 * 1024;
/** QEMU's option syntax doubles a literal comma (args.ts's qemuOptValue; not imported: args.ts imports us). */
const qemuOptValue = (value: string): string => value.replaceAll(',', ',,');

export const rootPortId = (index: number): string => `rp${index}`;
export const shareDeviceId = (tag: string): string => `fs-${tag}`;
export const shareChardevId = (tag: string): string => `fsc-${tag}`;
const fsdevId = (tag: string): string => `fsd-${tag}`;

/** The guest RAM as a shared memfd: `-object` args and the `-machine` option that selects it. */
export function sharedMemoryArgs(memoryBytes: number): { args: string[]; machineOption: string } {
  const size = `${Math.floor(memoryBytes / MIB)}M`;
  return {
    args: ['-object', `memory-backend-memfd,id=mem,size=${size},share=on`],
    machineOption: 'memory-backend=mem',
  };
}

/**
 * `count` root ports rp0..rp{count-1}. Each needs its own chassis number (QEMU refuses a repeated
 * chassis/slot pair); `io-reserve=0` because virtio devices behind a PCIe port are modern-only (no I/O BAR),
 * and the 64 KiB x86 I/O space would run out at 4 KiB per port.
 */
export function rootPortArgs(count: number): string[] {
  return Array.from({ length: count }, (_, i) => [
    '-device',
    `pcie-root-port,id=${rootPortId(i)},chassis=${i + 1},io-reserve=0`,
  ]).flat();
}

/** The device (and its backend) of each boot-time share, share i on root port i. */
export function shareArgs(shares: readonly QemuShare[]): string[] {
  return shares.flatMap((share, i) => {
    const bus = rootPortId(i);
    if (share.kind === 'virtiofs') {
      return [
        '-chardev',
        `socket,id=${shareChardevId(share.tag)},path=${qemuOptValue(share.socket)}`,
        '-device',
        `vhost-user-fs-pci,id=${shareDeviceId(share.tag)},chardev=${shareChardevId(share.tag)},tag=${share.tag},bus=${bus}`,
      ];
    }
    return [
      '-fsdev',
      // multidevs=remap: inode numbers from several host filesystems under the source stay unique in the guest.
      `local,id=${fsdevId(share.tag)},path=${qemuOptValue(share.source)},security_model=${share.securityModel},multidevs=remap`,
      '-device',
      `virtio-9p-pci,id=${shareDeviceId(share.tag)},fsdev=${fsdevId(share.tag)},mount_tag=${share.tag},bus=${bus}`,
    ];
  });
}

/** The problems of boot-time shares, for validateLaunchSpec (each names its field). */
export function shareProblems(shares: readonly QemuShare[], maxSocketBytes: number): string[] {
  const problems: string[] = [];
  const seen = new Set<string>();
  shares.forEach((share, i) => {
    const at = `shares[${i}]`;
    if (!SHARE_TAG.test(share.tag))
      problems.push(`${at}.tag: must match ${SHARE_TAG}, got ${JSON.stringify(share.tag)}`);
    else if (seen.has(share.tag)) problems.push(`${at}.tag: ${share.tag} is used twice`);
    seen.add(share.tag);
    if (share.kind === 'virtiofs' && Buffer.byteLength(share.socket) > maxSocketBytes)
      problems.push(
        `${at}.socket: ${share.socket} is longer than a unix socket path may be (${maxSocketBytes} bytes)`,
      );
    if (share.kind === '9p' && !share.source.startsWith('/'))
      problems.push(`${at}.source: must be absolute, got ${JSON.stringify(share.source)}`);
  });
  return problems;
}

/** @throws SkiffError invalid-argument for a tag QEMU ids and file names cannot carry */
export function assertShareTag(tag: string): void {
  if (!SHARE_TAG.test(tag))
    throw new SkiffError(
      'invalid-argument',
      `share tag: must match ${SHARE_TAG}, got ${JSON.stringify(tag)}`,
    );
}
