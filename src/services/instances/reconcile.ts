/**
 * @module Daemon start: compare each instance record with what QEMU is really doing, re-adopt running VMs,
 * finish or undo operations a crash interrupted. After it, every record tells the truth.
 */
import { rm } from 'node:fs/promises';
import type { VmBackend } from '../../backends/vm.js';
import type { ImageStore } from './ports.js';
import { instanceDir } from './spec.js';
import type { InstanceStore } from './store.js';
import type { InstancesService } from './instances.js';

export interface ReconcileDeps {
  store: InstanceStore;
  backend: VmBackend;
  images: ImageStore;
  instances: InstancesService;
  instancesDir: string;
  log: { info(obj: object, msg: string): void; warn(obj: object, msg: string): void };
}

export interface ReconcileReport {
  adopted: string[];
  stopped: string[];
  removedUnfinished: string[];
}

export async function reconcileInstances(deps: ReconcileDeps): Promise<ReconcileReport> {
  const report: ReconcileReport = { adopted: [], stopped: [], removedUnfinished: [] };
  for (const record of deps.store.all()) {
    const dir = instanceDir(deps.instancesDir, record.name);
    const power = await deps.backend.power(dir);
    if (!record.launched) {
      // A launch the daemon did not see through: it never became an instance, so nothing is lost by undoing it.
      await deps.backend.kill(dir).catch(() => undefined);
      await rm(dir, { recursive: true, force: true });
      if (record.image.id) await deps.images.release(record.image.id, record.name).catch(() => undefined);
      await deps.store.remove(record.name);
      report.removedUnfinished.push(record.name);
      deps.log.warn({ instance: record.name }, 'removed an instance whose launch was interrupted');
      continue;
    }
    if (record.state === 'Deleted') {
      if (power === 'running' || power === 'paused') await deps.backend.kill(dir);
      continue;
    }
    if (power === 'running' || power === 'paused') {
      const pid = await deps.backend.pid(dir);
      const state = record.state === 'Delayed Shutdown' ? 'Delayed Shutdown' : 'Running';
      const updated = await deps.store.update(record.name, (r) => (r.state = state));
      if (state === 'Delayed Shutdown') deps.instances.armShutdownTimer(updated);
      report.adopted.push(record.name);
      deps.log.info({ instance: record.name, pid }, 're-adopted a running VM');
      continue;
    }
    const next = power === 'suspended' || (await deps.backend.hasSuspendState(dir)) ? 'Suspended' : 'Stopped';
    if (record.state !== next) {
      await deps.store.update(record.name, (r) => ((r.state = next), (r.shutdownAtMs = null)));
      report.stopped.push(record.name);
      deps.log.info({ instance: record.name, was: record.state, now: next }, 'instance state reconciled');
    }
  }
  return report;
}
