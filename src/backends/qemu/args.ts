/**
 * @module Pure: a VmLaunchSpec becomes the qemu-system-x86_64 argv. No I/O, so every flag is checked by
 * deep-equal in unit tests without QEMU installed (lima `Cmdline`, multipass QemuVMProcessSpec).
 */
import { join } from 'node:path';
import { SkiffError } from '../../core/errors.js';
import { VM_FILES } from './machine.js';
import type { VmLaunchSpec } from './machine.js';
import { SPARE_ROOT_PORTS, rootPortArgs, shareArgs, shareProblems, sharedMemoryArgs } from './share-args.js';

/** Name of the internal qcow2 snapshot that holds a suspended VM's RAM and device state. */
export const SUSPEND_SNAPSHOT = 'skiff-suspend';
/** What a snapshot id may be: it goes on QEMU's command line and into HMP commands unquoted. */
export const SNAPSHOT_ID = /^[A-Za-z0-9_-]{1,64}$/;

/** The QEMU binary the backend runs (from PATH). */
export const QEMU_BINARY = 'qemu-system-x86_64';

/** sun_path is 108 bytes including the trailing NUL on Linux: QEMU cannot bind a longer socket path. */
export const MAX_UNIX_SOCKET_PATH_BYTES = 107;

const MIB = 1024 * 1024;
const MAC = /^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/i;

/**
 * Escapes a value for QEMU's `key=value,key=value` option syntax, where a literal comma is written twice.
 * @example qemuOptValue('/a,b') // '/a,,b'
 */
export function qemuOptValue(value: string): string {
  return value.replaceAll(',', ',,');
}

/** Rejects specs QEMU would refuse or misread, naming the field. @throws SkiffError invalid-argument */
export function validateLaunchSpec(spec: VmLaunchSpec): void {
  const problems: string[] = [];
  if (!spec.dir.startsWith('/')) problems.push(`dir: must be absolute, got ${JSON.stringify(spec.dir)}`);
  if (!Number.isInteger(spec.cpus) || spec.cpus < 1)
    problems.push(`cpus: must be an integer >= 1, got ${spec.cpus}`);
  if (!Number.isFinite(spec.memoryBytes) || spec.memoryBytes < 16 * MIB) {
    problems.push(`memoryBytes: must be at least 16 MiB, got ${spec.memoryBytes}`);
  }
  problems.push(...nicProblems(spec.nics));
  problems.push(...shareProblems(spec.shares ?? [], MAX_UNIX_SOCKET_PATH_BYTES));
  if (spec.layout === 'legacy' && (spec.shares ?? []).length > 0)
    problems.push(
      'shares: a legacy machine (resuming a state saved before shares existed) cannot have shares',
    );
  if (
    spec.loadSnapshot !== undefined &&
    (!SNAPSHOT_ID.test(spec.loadSnapshot) || spec.loadSnapshot === SUSPEND_SNAPSHOT)
  )
    problems.push(`loadSnapshot: not a snapshot id: ${JSON.stringify(spec.loadSnapshot)}`);
  const qmpPath = join(spec.dir, VM_FILES.qmp);
  if (Buffer.byteLength(qmpPath) > MAX_UNIX_SOCKET_PATH_BYTES) {
    problems.push(
      `dir: the QMP socket path ${qmpPath} is ${Buffer.byteLength(qmpPath)} bytes, over the ` +
        `${MAX_UNIX_SOCKET_PATH_BYTES}-byte limit of a unix socket: use a shorter data directory`,
    );
  }
  if (problems.length > 0) {
    throw new SkiffError('invalid-argument', `invalid VM spec for ${spec.name}: ${problems.join('; ')}`, {
      details: { problems },
    });
  }
}

/** Linux interface names: at most 15 bytes (IFNAMSIZ 16 with the NUL), no slash, space or colon. */
const IFNAME = /^[A-Za-z0-9_.-]{1,15}$/;

function nicProblems(nics: VmLaunchSpec['nics']): string[] {
  const problems: string[] = [];
  if (nics.length === 0) problems.push('nics: at least one NIC is needed');
  nics.forEach((nic, i) => {
    const at = `nics[${i}]`;
    if (!MAC.test(nic.mac))
      problems.push(`${at}.mac: must look like 52:54:00:12:34:56, got ${JSON.stringify(nic.mac)}`);
    switch (nic.kind) {
      case 'user':
        if (i !== 0) problems.push(`${at}: only the first NIC may be user-mode`);
        if (!Number.isInteger(nic.sshPort) || nic.sshPort < 1 || nic.sshPort > 65535)
          problems.push(`${at}.sshPort: must be 1-65535, got ${nic.sshPort}`);
        break;
      case 'tap':
        for (const [field, value] of [
          ['ifname', nic.ifname],
          ['bridge', nic.bridge],
        ] as const)
          if (!IFNAME.test(value))
            problems.push(`${at}.${field}: not an interface name: ${JSON.stringify(value)}`);
        break;
      case 'macvtap':
        if (!Number.isInteger(nic.hostFd) || nic.hostFd < 0)
          problems.push(`${at}.hostFd: must be an open descriptor, got ${nic.hostFd}`);
        break;
      default: {
        const never: never = nic;
        problems.push(`${at}: unknown kind ${JSON.stringify(never)}`);
      }
    }
  });
  return problems;
}

/** The descriptors QEMU inherits, in order: its fd 3, 4, ... (spawn's stdio after stdin/out/err). */
export function inheritedFds(nics: VmLaunchSpec['nics']): number[] {
  return nics.flatMap((nic) => (nic.kind === 'macvtap' ? [nic.hostFd] : []));
}

/** -netdev/-device pairs for the NICs; netdev ids are n0, n1, ... in guest order (hostfwd_add names n0). */
export function nicArgs(nics: VmLaunchSpec['nics']): string[] {
  let inherited = 0;
  return nics.flatMap((nic, i) => {
    const id = `n${i}`;
    const netdev =
      nic.kind === 'user'
        ? `user,id=${id},hostfwd=tcp:127.0.0.1:${nic.sshPort}-:22`
        : nic.kind === 'tap'
          ? // QEMU creates the tap (root may); no scripts: the backend enslaves it to the bridge itself.
            `tap,id=${id},ifname=${nic.ifname},script=no,downscript=no`
          : `tap,id=${id},fd=${3 + inherited++}`;
    return ['-netdev', netdev, '-device', `virtio-net-pci,netdev=${id},mac=${nic.mac.toLowerCase()}`];
  });
}

/** The base image under an instance disk, as the disk's qcow2 header names it. */
export interface BaseImage {
  path: string;
  format: 'qcow2' | 'raw';
}

/**
 * The instance disk as an explicit -blockdev chain: overlay -> base, and nothing after. With `-drive`, QEMU
 * would open whatever each image names (the base's own backing file, say `/root/secret.raw`); here the base
 * node is given with `backing: null` and the overlay's backing is that node, so no name recorded in an image
 * is ever followed. JSON syntax: paths need no comma escaping.
 */
export function diskArgs(diskPath: string, base: BaseImage | null): string[] {
  const node = (options: Record<string, unknown>) => ['-blockdev', JSON.stringify(options)];
  const args: string[] = [];
  if (base !== null) {
    args.push(
      ...node({ driver: 'file', filename: base.path, 'node-name': 'base-file', 'read-only': true }),
      ...node({
        driver: base.format,
        file: 'base-file',
        'node-name': 'base',
        'read-only': true,
        ...(base.format === 'qcow2' ? { backing: null } : {}),
      }),
    );
  }
  args.push(
    ...node({ driver: 'file', filename: diskPath, 'node-name': 'disk-file', discard: 'unmap' }),
    ...node({
      driver: 'qcow2',
      file: 'disk-file',
      'node-name': 'disk',
      discard: 'unmap',
      backing: base === null ? null : 'base',
    }),
  );
  return args;
}

/**
 * The argv (without the binary) that runs `spec` on its disk over `disk.base`. QEMU is spawned detached by the backend, so there is no
 * `-daemonize` here: see backend.ts for why. @throws SkiffError invalid-argument (validateLaunchSpec)
 */
export function qemuArgs(spec: VmLaunchSpec, disk: { base: BaseImage | null }): string[] {
  validateLaunchSpec(spec);
  const file = (name: string): string => join(spec.dir, name);
  const kvm = spec.accel === 'kvm';
  const shares = spec.shares ?? [];
  const legacy = spec.layout === 'legacy';
  const memory = legacy ? { args: [], machineOption: '' } : sharedMemoryArgs(spec.memoryBytes);
  const args = [
    '-name',
    `guest=${qemuOptValue(spec.name)}`,
    // No default devices: QEMU's default empty IDE cdrom makes guests probe a slow device, and the default
    // NICs (e1000/e1000e) are missing from Ubuntu's and Debian's cloud kernels.
    '-nodefaults',
    '-no-user-config',
    '-machine',
    `q35,accel=${spec.accel}${memory.machineOption ? `,${memory.machineOption}` : ''}`,
    '-cpu',
    kvm ? 'host' : 'max',
    '-smp',
    String(spec.cpus),
    '-m',
    `${Math.floor(spec.memoryBytes / MIB)}M`,
    // Shared RAM for vhost-user-fs (virtiofsd maps it): every VM has it, so a share can be added while it runs.
    ...memory.args,
    '-display',
    'none',
    ...diskArgs(file(VM_FILES.disk), disk.base),
    '-device',
    'virtio-blk-pci,drive=disk',
    // The seed is a read-only virtio disk rather than a cdrom: q35's cdrom sits on AHCI, which some cloud
    // kernels lack, and savevm skips read-only drives (a writable raw ISO would block suspend).
    '-drive',
    `file=${qemuOptValue(file(VM_FILES.seed))},format=raw,if=virtio,readonly=on`,
    ...nicArgs(spec.nics),
    ...(legacy ? [] : rootPortArgs(shares.length + SPARE_ROOT_PORTS)),
    ...shareArgs(shares),
    // Guests generate SSH host keys at first boot; without an entropy device that waits on the CRNG.
    '-object',
    'rng-random,id=rng0,filename=/dev/urandom',
    '-device',
    'virtio-rng-pci,rng=rng0',
    '-qmp',
    `unix:${qemuOptValue(file(VM_FILES.qmp))},server=on,wait=off`,
    '-pidfile',
    file(VM_FILES.pid),
    // The legacy `file:` form takes the rest of the string as the path, so no comma escaping here.
    '-serial',
    `file:${file(VM_FILES.serial)}`,
  ];
  if (spec.resumeFromSuspend) args.push('-loadvm', SUSPEND_SNAPSHOT);
  else if (spec.loadSnapshot !== undefined) args.push('-loadvm', spec.loadSnapshot);
  // Taps join their bridge only after QEMU made them: the guest waits paused until then (the backend `cont`s).
  if (spec.nics.some((nic) => nic.kind === 'tap')) args.push('-S');
  return args;
}
