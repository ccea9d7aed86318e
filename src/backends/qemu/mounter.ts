/**
 * @module The QEMU driver's Mounter: virtiofs when a virtiofsd is found (hot-plugged into a running VM, or on
 * the command line of a boot), else virtio-9p, which only a boot can add. Id maps: neither QEMU 7.2's C
 * virtiofsd nor 9p can translate ids (the C virtiofsd has no --translate-uid; -fsdev has no uid option), so
 * ids pass through unchanged and a map other than the identity is refused as unsupported, never ignored.
 */
import { join } from 'node:path';
import { SkiffError } from '../../core/errors.js';
import type { MountShare, MountTransport, Mounter } from '../../services/instances/ports.js';
import { VM_FILES, type QemuShare } from './machine.js';
import { livePidFor } from './process.js';
import { withQmp, type QmpClient } from './qmp-client.js';
import { SHARE_TAG } from './share-args.js';
import { freeRootPort, hasShareDevice, plugVirtiofs, unplugShare } from './share-hotplug.js';
import { startVirtiofsd, stopVirtiofsd, virtiofsdFor, virtiofsdSocket } from './virtiofsd.js';

export interface QemuMounterOptions {
  /** The instance directory. */
  dir: string;
  /** The virtiofsd binary, or null when virtiofs is not available (then 9p). */
  virtiofsd: () => Promise<string | null>;
  /** How long the guest may take to release an unplugged share. Default 60 s (TCG guests are slow). */
  unplugTimeoutMs?: number;
}

const QMP_TIMEOUT_MS = 5_000;

/** 9p as root keeps the guest's ids on the host files; an unprivileged QEMU cannot chown, so xattrs keep them. */
export function ninePSecurityModel(uid = process.getuid?.() ?? 0): 'passthrough' | 'mapped-xattr' {
  return uid === 0 ? 'passthrough' : 'mapped-xattr';
}

/** @throws SkiffError invalid-argument naming the field; unsupported for an id map this host cannot honour */
export function checkShare(share: MountShare): void {
  if (!SHARE_TAG.test(share.tag))
    throw new SkiffError(
      'invalid-argument',
      `share tag: must match ${SHARE_TAG}, got ${JSON.stringify(share.tag)}`,
    );
  if (!share.source.startsWith('/'))
    throw new SkiffError(
      'invalid-argument',
      `share ${share.tag}: source must be absolute, got ${JSON.stringify(share.source)}`,
    );
  for (const [field, map] of [
    ['uidMap', share.uidMap],
    ['gidMap', share.gidMap],
  ] as const) {
    const moved = map.find((entry) => entry.host !== entry.guest);
    if (moved !== undefined)
      throw new SkiffError(
        'unsupported',
        `share ${share.tag}: ${field} ${moved.host}:${moved.guest} cannot be honoured: QEMU 7.2's virtiofsd and 9p ` +
          `pass ids through unchanged (a virtiofsd with --translate-uid/--translate-gid is needed)`,
        { details: { tag: share.tag, field } },
      );
  }
}

/** The Mounter of the VM in `options.dir`. */
export function qemuMounter(options: QemuMounterOptions): Mounter {
  const { dir } = options;
  const qmp = <T>(fn: (client: QmpClient) => Promise<T>) =>
    withQmp(join(dir, VM_FILES.qmp), fn, { timeoutMs: QMP_TIMEOUT_MS });
  const running = async () => (await livePidFor(join(dir, VM_FILES.pid))) !== null;
  const unplugTimeoutMs = options.unplugTimeoutMs ?? 60_000;

  return {
    async transports(shares) {
      shares.forEach(checkShare);
      const transport: MountTransport = (await options.virtiofsd()) === null ? '9p' : 'virtiofs';
      return shares.map(() => transport);
    },

    async attach(share) {
      checkShare(share);
      if (!(await running()))
        throw new SkiffError(
          'conflict',
          `share ${share.tag}: the VM is not running (a stopped one gets its shares at start)`,
        );
      const binary = await options.virtiofsd();
      if (binary === null)
        throw new SkiffError(
          'unsupported',
          `share ${share.tag}: virtiofsd is not available, and a 9p share can only be added at boot: restart the ` +
            `instance to share ${share.source}`,
          { details: { tag: share.tag, transport: '9p' } },
        );
      await qmp(async (client) => {
        if (await hasShareDevice(client, share.tag)) {
          const live = await virtiofsdFor(dir, share.tag);
          // Attached already (a restarted daemon attaching again): nothing to do.
          if (live !== null && live.source === share.source) return;
          if (live !== null)
            throw new SkiffError(
              'conflict',
              `share ${share.tag} is attached already, from ${live.source ?? 'elsewhere'}`,
            );
          // Its virtiofsd died (or it is a 9p device from the boot): replace the device.
          await unplugShare(client, share.tag, unplugTimeoutMs);
        }
        const bus = await freeRootPort(client);
        if (bus === null)
          throw new SkiffError(
            'unsupported',
            `share ${share.tag}: every spare PCIe port of this boot is in use: restart the instance to add more shares`,
          );
        await startVirtiofsd({ binary, dir, tag: share.tag, source: share.source, ownerUid: share.ownerUid });
        try {
          await plugVirtiofs(client, { tag: share.tag, socket: virtiofsdSocket(dir, share.tag), bus });
        } catch (error) {
          await stopVirtiofsd(dir, share.tag);
          throw new SkiffError(
            'internal',
            `share ${share.tag}: QEMU refused the virtio-fs device: ${(error as Error).message}`,
            {
              cause: error,
            },
          );
        }
      });
      return 'virtiofs';
    },

    async serving(tag) {
      return SHARE_TAG.test(tag) && (await virtiofsdFor(dir, tag)) !== null;
    },

    async detach(tag) {
      if (!SHARE_TAG.test(tag))
        throw new SkiffError('invalid-argument', `share tag: not a tag: ${JSON.stringify(tag)}`);
      if (await running()) await qmp((client) => unplugShare(client, tag, unplugTimeoutMs));
      await stopVirtiofsd(dir, tag);
    },
  };
}

/**
 * The command-line shares of a boot, starting a virtiofsd for each (the caller ends them if QEMU does not
 * start). With no virtiofsd, every share is 9p.
 */
export async function bootShares(
  options: QemuMounterOptions,
  shares: readonly MountShare[],
): Promise<QemuShare[]> {
  shares.forEach(checkShare);
  const binary = await options.virtiofsd();
  const out: QemuShare[] = [];
  for (const share of shares) {
    if (binary === null) {
      out.push({ kind: '9p', tag: share.tag, source: share.source, securityModel: ninePSecurityModel() });
      continue;
    }
    await startVirtiofsd({
      binary,
      dir: options.dir,
      tag: share.tag,
      source: share.source,
      ownerUid: share.ownerUid,
    });
    out.push({ kind: 'virtiofs', tag: share.tag, socket: virtiofsdSocket(options.dir, share.tag) });
  }
  return out;
}
