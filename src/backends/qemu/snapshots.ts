/**
 * @module Instance snapshots for the QEMU driver, as internal qcow2 snapshots of the instance disk (the same
 * store a suspend uses, under other names). A stopped VM gets a disk-only snapshot (`qemu-img snapshot -c`); a
 * running one gets disk and memory together (HMP `savevm`, the guest paused meanwhile), which a later start
 * loads with `-loadvm`. QEMU refuses to save a VM that has a vhost-user-fs (virtiofs) device; its reason is
 * passed on as it says it.
 */
import { join } from 'node:path';
import { SkiffError } from '../../core/errors.js';
import type { Snapshotter } from '../../services/instances/ports.js';
import { SNAPSHOT_ID, SUSPEND_SNAPSHOT } from './args.js';
import type { QemuBackend } from './backend.js';
import { applySnapshot, createSnapshot, deleteSnapshot, imageInfo } from './img.js';
import { VM_FILES } from './machine.js';
import { withQmp } from './qmp-client.js';

/** savevm / delvm budget: a save writes all guest RAM into the disk image. */
const SAVE_TIMEOUT_MS = 300_000;

/** Checks an id before it reaches a command line or an HMP command. @throws SkiffError internal */
function checkId(id: string): string {
  if (!SNAPSHOT_ID.test(id) || id === SUSPEND_SNAPSHOT)
    throw new SkiffError('internal', `qemu driver: "${id}" is not a snapshot id`);
  return id;
}

/** The Snapshotter of the instance whose directory is `dir`. */
export function qemuSnapshotter(dir: string, backend: QemuBackend): Snapshotter {
  const disk = join(dir, VM_FILES.disk);
  const qmp = join(dir, VM_FILES.qmp);
  const list = async () => {
    try {
      const info = await imageInfo(disk);
      return info.snapshots
        .filter((s) => s.name !== SUSPEND_SNAPSHOT)
        .map((s) => ({ id: s.name, memory: s.vmStateBytes > 0 }));
    } catch {
      return [];
    }
  };
  return {
    list,
    async take(id) {
      checkId(id);
      if ((await list()).some((s) => s.id === id))
        throw new SkiffError('conflict', `snapshot ${id} exists already in ${disk}`);
      if ((await backend.pid(dir)) === null) {
        // A disk snapshot under a saved RAM state would not describe what a resume brings back.
        if (await backend.hasSuspendState(dir))
          throw new SkiffError('conflict', `cannot snapshot the disk in ${dir} while the VM is suspended`);
        await createSnapshot(disk, id);
        return { memory: false };
      }
      await withQmp(
        qmp,
        async (c) => {
          const { status } = await c.execute<{ status: string }>('query-status');
          // savevm stops the guest itself and restarts it only if it was running.
          await c.human(`savevm ${id}`, { timeoutMs: SAVE_TIMEOUT_MS });
          if (status === 'running') {
            const after = await c.execute<{ status: string }>('query-status');
            if (after.status !== 'running') await c.execute('cont');
          }
        },
        { timeoutMs: SAVE_TIMEOUT_MS },
      ).catch((error: unknown) => {
        throw new SkiffError(
          'conflict',
          `QEMU could not save the running VM: ${(error as Error).message.replace(/^HMP [^:]*: /, '')}`,
          { cause: error },
        );
      });
      return { memory: true };
    },
    async revert(id) {
      checkId(id);
      if ((await backend.pid(dir)) !== null)
        throw new SkiffError('conflict', `cannot revert the disk in ${dir} while the VM runs`);
      await applySnapshot(disk, id);
    },
    async remove(id) {
      checkId(id);
      if (!(await list()).some((s) => s.id === id)) return;
      if ((await backend.pid(dir)) === null) await deleteSnapshot(disk, id);
      else
        await withQmp(qmp, (c) => c.human(`delvm ${id}`, { timeoutMs: SAVE_TIMEOUT_MS }), {
          timeoutMs: SAVE_TIMEOUT_MS,
        });
    },
  };
}
