/**
 * @module Daemon start: compare each instance record with what its VM is really doing, re-adopt running VMs,
 * finish or undo operations a crash interrupted, put back each pinned host key. After it, every record tells
 * the truth.
 */
import { removeGuestIdentity, writeKnownHosts } from './guest-identity.js';
import type { ImageStore, VmDriver } from './ports.js';
import { instanceDir } from './spec.js';
import type { InstanceStore } from './store.js';
import type { InstancesService } from './instances.js';

export interface ReconcileDeps {
  store: InstanceStore;
  driver: VmDriver;
  images: ImageStore;
  instances: InstancesService;
  /** Where the service keeps each guest's SSH identity (see guest-identity.ts). */
  identityDir: string;
  log: { info(obj: object, msg: string): void; warn(obj: object, msg: string): void };
}

export interface ReconcileReport {
  adopted: string[];
  stopped: string[];
  removedUnfinished: string[];
  /** Suspends the daemon died during, being finished or undone in the background (see settleInterruptedSuspend). */
  settlingSuspends: string[];
}

export async function reconcileInstances(deps: ReconcileDeps): Promise<ReconcileReport> {
  const report: ReconcileReport = { adopted: [], stopped: [], removedUnfinished: [], settlingSuspends: [] };
  for (const record of deps.store.all()) {
    const vm = deps.driver.instance(record.name);
    const identity = instanceDir(deps.identityDir, record.name);
    if (!record.launched) {
      // A launch the daemon did not see through: it never became an instance, so nothing is lost by undoing it.
      await vm.destroy().catch(() => undefined);
      await removeGuestIdentity(identity);
      if (record.image.id) await deps.images.release(record.image.id, record.name).catch(() => undefined);
      await deps.store.remove(record.name);
      report.removedUnfinished.push(record.name);
      deps.log.warn({ instance: record.name }, 'removed an instance whose launch was interrupted');
      continue;
    }
    // A lost known_hosts would lock exec out of a guest whose key is on record: write it again.
    if (record.hostKey) await writeKnownHosts(identity, record.name, record.hostKey);
    // Not asked while suspending: a VM still saving may not answer, and settling waits for it anyway.
    const power = record.state === 'Suspending' ? null : await vm.power();
    if (record.state === 'Deleted') {
      if (power === 'running' || power === 'paused') await vm.stop({ force: true });
      continue;
    }
    if (record.state === 'Suspending' || power === 'paused') {
      // skiff pauses a VM only to suspend it, so a paused one is a suspend the daemon died during, whatever
      // the record says. Settling may wait for a save in progress: it runs in the background.
      void deps.instances.settleInterruptedSuspend(record.name).catch(() => undefined);
      report.settlingSuspends.push(record.name);
      continue;
    }
    if (power === 'running') {
      // A saved state beside a running VM is one a resume restored and a crash kept from dropping.
      if (await vm.suspender?.hasState()) {
        await vm.suspender?.discard();
        deps.log.warn(
          { instance: record.name },
          'dropped a suspend state that an interrupted resume left behind',
        );
      }
      const pid = await vm.pid();
      const state = record.state === 'Delayed Shutdown' ? 'Delayed Shutdown' : 'Running';
      const updated = await deps.store.update(record.name, (r) => (r.state = state));
      if (state === 'Delayed Shutdown') deps.instances.armShutdownTimer(updated);
      report.adopted.push(record.name);
      deps.log.info({ instance: record.name, pid }, 're-adopted a running VM');
      continue;
    }
    const saved = power === 'suspended' || ((await vm.suspender?.hasState()) ?? false);
    const next = saved ? 'Suspended' : 'Stopped';
    if (record.state !== next) {
      await deps.store.update(record.name, (r) => ((r.state = next), (r.shutdownAtMs = null)));
      report.stopped.push(record.name);
      deps.log.info({ instance: record.name, was: record.state, now: next }, 'instance state reconciled');
    }
  }
  return report;
}
