/**
 * @module What QEMU is doing, asked once for many readers. QEMU's monitor serves one client at a time and
 * answers slowly when the host is busy, so 200 `list` calls that each opened their own QMP session waited
 * behind each other for seconds. Here readers share one probe per boot: an answer is served as is for
 * `reuseMs`, then at once while a new probe runs in the background until it is `maxStaleMs` old; an older
 * answer is not served at all, and readers wait for the probe. Under steady reading no reader waits, and a
 * VM that died behind skiff's back shows within `maxStaleMs`.
 */
import type { Clock } from '../../core/clock.js';
import type { VmPower } from './ports.js';

export interface PowerProbeOptions {
  clock: Clock;
  /** The probe (the backend's power(): pidfile, process table, QMP). */
  probe: (dir: string) => Promise<VmPower>;
  /** An answer younger than this is served as is. Default 1 s. */
  reuseMs?: number;
  /**
   * The oldest answer ever served, while its renewal runs. Default 2 s: the recorded state covers every
   * change skiff makes itself; what the probe adds is a VM that died or was paused behind skiff's back.
   */
  maxStaleMs?: number;
}

export class PowerProbe {
  private readonly results = new Map<string, { power: VmPower; atMs: number }>();
  private readonly inFlight = new Map<string, Promise<VmPower>>();
  private readonly reuseMs: number;
  private readonly maxStaleMs: number;

  constructor(private readonly options: PowerProbeOptions) {
    this.reuseMs = options.reuseMs ?? 1_000;
    this.maxStaleMs = options.maxStaleMs ?? 2_000;
  }

  /**
   * The power state of the VM in `dir`. `key` names one boot of one instance, so an answer never outlives
   * the boot it was about.
   */
  read(key: string, dir: string): Promise<VmPower> {
    const known = this.results.get(key);
    const ageMs = known ? this.options.clock.now() - known.atMs : Infinity;
    if (!known || ageMs >= this.maxStaleMs) return this.probe(key, dir);
    if (ageMs >= this.reuseMs) this.probe(key, dir).catch(() => undefined);
    return Promise.resolve(known.power);
  }

  /** The probe in flight for `key`, or a new one. */
  private probe(key: string, dir: string): Promise<VmPower> {
    const running = this.inFlight.get(key);
    if (running) return running;
    const startedAt = this.options.clock.now();
    const probe = this.options
      .probe(dir)
      .then((power) => {
        this.forgetOld(startedAt);
        // Dated from the start: the state may have changed while the probe ran.
        this.results.set(key, { power, atMs: startedAt });
        return power;
      })
      .finally(() => this.inFlight.delete(key));
    this.inFlight.set(key, probe);
    return probe;
  }

  private forgetOld(now: number): void {
    for (const [key, result] of this.results)
      if (now - result.atMs >= this.maxStaleMs) this.results.delete(key);
  }
}
