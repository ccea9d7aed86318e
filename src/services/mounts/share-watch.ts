/**
 * @module Supervision of native shares: finds running instances' virtiofs shares whose host side died
 * (virtiofsd killed or crashed). They cannot be brought back live: QEMU 7.2's vhost-user-fs has no reconnect,
 * so the guest's requests on that queue wait for ever, and an unplug waits for them. So each is logged once and
 * shown as not active, with the way out (a restart brings it back); the instance's next boot clears the mark.
 */
import type { VmDriver } from '../instances/ports.js';
import type { InstanceStore } from '../instances/store.js';

const RUNNING = new Set(['Running', 'Delayed Shutdown']);

export interface ShareWatchDeps {
  store: InstanceStore;
  driver: VmDriver;
  log: { warn(obj: object, msg: string): void };
}

export class ShareWatch {
  /** `instance:target` of the shares found dead by the last pass. */
  private dead = new Set<string>();

  constructor(private readonly deps: ShareWatchDeps) {}

  /** Whether the last pass found the share at `target` of `name` dead. */
  isDead(name: string, target: string): boolean {
    return this.dead.has(`${name}:${target}`);
  }

  /** `name` booted again: every share has a new virtiofsd. */
  booted(name: string): void {
    for (const key of this.dead) if (key.startsWith(`${name}:`)) this.dead.delete(key);
  }

  /** One pass. Never throws. @returns the `instance:target` of every dead share now */
  async check(): Promise<string[]> {
    const dead = new Set<string>();
    for (const record of this.deps.store.all()) {
      if (!RUNNING.has(record.state)) continue;
      const mounter = this.deps.driver.instance(record.name).mounter;
      for (const entry of record.mounts ?? []) {
        if (mounter === undefined || entry.type !== 'native' || entry.transport !== 'virtiofs') continue;
        const key = `${record.name}:${entry.target}`;
        if (await mounter.serving(entry.tag).catch(() => true)) continue;
        dead.add(key);
        if (!this.dead.has(key))
          this.deps.log.warn(
            { instance: record.name, target: entry.target },
            'share lost its virtiofsd: restart the instance to mount it again',
          );
      }
    }
    this.dead = dead;
    return [...dead];
  }

  /** Runs `check` every `intervalMs`, one pass at a time. @returns how to stop it */
  start(intervalMs: number): () => void {
    let pass: Promise<unknown> | null = null;
    const timer = setInterval(() => {
      pass ??= this.check().finally(() => (pass = null));
    }, intervalMs);
    timer.unref();
    return () => clearInterval(timer);
  }
}
