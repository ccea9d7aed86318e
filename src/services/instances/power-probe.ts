/**
 * @module What QEMU is doing, asked once for many readers. Concurrent `list` and `info` calls share one probe
 * (pidfile, process table, QMP) per instance, and a result is reused for `reuseMs`: QEMU's monitor serves one
 * client at a time, so 200 readers that each opened their own QMP session waited behind each other for
 * seconds.
 */
import type { Clock } from '../../core/clock.js';
import type { VmPower } from '../../backends/vm.js';

export interface PowerProbeOptions {
  clock: Clock;
  /** The real probe (the backend's power()). */
  probe: (dir: string) => Promise<VmPower>;
  /**
   * How long an answer is reused. Default 1 s: the recorded state covers every change skiff makes itself;
   * the probe only catches a QEMU that died or was paused behind skiff's back, and a second is soon enough.
   */
  reuseMs?: number;
}

export class PowerProbe {
  private readonly results = new Map<string, { power: VmPower; atMs: number }>();
  private readonly inFlight = new Map<string, Promise<VmPower>>();
  private readonly reuseMs: number;

  constructor(private readonly options: PowerProbeOptions) {
    this.reuseMs = options.reuseMs ?? 1_000;
  }

  /**
   * The power state of the VM in `dir`: a recent answer, the probe in flight, or a new probe. `key` names one
   * boot of one instance, so an answer never outlives the boot it was about.
   */
  read(key: string, dir: string): Promise<VmPower> {
    const now = this.options.clock.now();
    const known = this.results.get(key);
    if (known && now - known.atMs < this.reuseMs) return Promise.resolve(known.power);
    const running = this.inFlight.get(key);
    if (running) return running;
    const probe = this.options
      .probe(dir)
      .then((power) => {
        this.forgetOld(now);
        // Dated from the start: the state may have changed while the probe ran.
        this.results.set(key, { power, atMs: now });
        return power;
      })
      .finally(() => this.inFlight.delete(key));
    this.inFlight.set(key, probe);
    return probe;
  }

  private forgetOld(now: number): void {
    for (const [key, result] of this.results) if (now - result.atMs >= this.reuseMs) this.results.delete(key);
  }
}
