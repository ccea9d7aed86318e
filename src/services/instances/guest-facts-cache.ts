/**
 * @module Guest facts (release, load, disk, memory, addresses) read once per running instance and kept with
 * the time they were read, so `info` answers from memory instead of starting an ssh per request.
 *
 * While someone asks (an `info` within `keepWarmMs`), each instance is read again `refreshEveryMs` after its
 * previous read ended; then reading stops, so an idle daemon never touches its guests. A caller waits for the
 * read in flight, at most `coldWaitMs`, only when there is nothing current to say (the first read of a boot,
 * or facts and failures older than `staleAfterMs` after a quiet spell); every other caller gets an answer at
 * once. A failed read keeps the last facts and says why, so a slow guest shows old facts with their age
 * rather than blanks.
 */
import type { Clock, TimerHandle } from '../../core/clock.js';
import { isSkiffError } from '../../core/errors.js';
import type { GuestShell, SshTarget } from './ports.js';
import { GUEST_FACTS_COMMAND, parseGuestFacts, type GuestFacts } from './guest-facts.js';

/**
 * fresh: read by the latest attempt, within `staleAfterMs`. stale: older, or the latest attempt failed.
 * pending: no attempt finished yet. unavailable: never read, and the latest attempt failed.
 */
export type GuestFactsStatus = 'fresh' | 'stale' | 'pending' | 'unavailable';

export interface GuestFactsReading {
  status: GuestFactsStatus;
  facts: GuestFacts | null;
  /** When `facts` were read (ms since the epoch), or null. */
  readAtMs: number | null;
  /** How old `facts` are at the time of this answer, or null. */
  ageMs: number | null;
  /** Why the latest read failed (e.g. "guest not answering: ssh timed out after 5 s"), or null. */
  error: string | null;
}

/** Where an instance's guest is now. `boot` changes with the guest (a new boot, a new instance). */
export interface GuestLocation {
  target: SshTarget;
  boot: string;
}

export interface GuestFactsCacheOptions {
  clock: Clock;
  shell: Pick<GuestShell, 'run'>;
  /** Where the named instance's guest is, or null when it is not running (its facts are dropped then). */
  locate: (name: string) => GuestLocation | null;
  /**
   * Pause between the end of one read and the next while someone asks. Default 5 s: the kernel updates
   * /proc/loadavg every 5 s, so reading faster shows nothing newer, and a read costs an ssh handshake.
   */
  refreshEveryMs?: number;
  /** Reading continues this long after the last ask. Default 60 s. */
  keepWarmMs?: number;
  /** Budget of one read (ssh start to exit). Default 5 s. */
  timeoutMs?: number;
  /**
   * The longest a caller with nothing current waits for the read in flight. Default 3 s: a healthy guest
   * answers well within it even under TCG on a busy host, so the first `info` after a boot has its facts.
   */
  coldWaitMs?: number;
  /** Facts (or a failure) older than this are not current. Default 15 s: three missed refreshes. */
  staleAfterMs?: number;
}

/** More than the facts command ever prints; a guest is not trusted to be brief. */
const MAX_OUTPUT_BYTES = 64 * 1024;

interface Entry {
  boot: string;
  facts: GuestFacts | null;
  readAtMs: number | null;
  error: string | null;
  /** When the read in flight started. */
  startedAtMs: number | null;
  /** When the latest read ended, successful or not. */
  endedAtMs: number | null;
  /** When the latest failure happened. */
  failedAtMs: number | null;
  inFlight: Promise<void> | null;
  askedAtMs: number;
  polling: boolean;
  timer: TimerHandle | null;
}

export class GuestFactsCache {
  private readonly entries = new Map<string, Entry>();
  private readonly refreshEveryMs: number;
  private readonly keepWarmMs: number;
  private readonly timeoutMs: number;
  private readonly coldWaitMs: number;
  private readonly staleAfterMs: number;
  private stopped = false;

  constructor(private readonly options: GuestFactsCacheOptions) {
    this.refreshEveryMs = options.refreshEveryMs ?? 5_000;
    this.keepWarmMs = options.keepWarmMs ?? 60_000;
    this.timeoutMs = options.timeoutMs ?? 5_000;
    this.coldWaitMs = options.coldWaitMs ?? 3_000;
    this.staleAfterMs = options.staleAfterMs ?? 15_000;
  }

  /**
   * The facts of a running instance as known now, and keeps them fresh for a while. Null when `locate` says
   * the instance is not running. Never throws; waits at most `coldWaitMs`.
   */
  async read(name: string): Promise<GuestFactsReading | null> {
    const location = this.options.locate(name);
    if (!location) {
      this.forget(name);
      return null;
    }
    let entry = this.entries.get(name);
    if (!entry || entry.boot !== location.boot) {
      this.forget(name);
      entry = newEntry(location.boot);
      this.entries.set(name, entry);
    }
    entry.askedAtMs = this.now();
    this.poll(name, entry);
    if (!this.current(entry)) {
      await this.within(entry.inFlight ?? this.refresh(entry, location.target), this.coldWaitMs);
    }
    return this.reading(entry);
  }

  /** Drops what is known about an instance (stopped, deleted) and stops reading it. */
  forget(name: string): void {
    const entry = this.entries.get(name);
    if (!entry) return;
    if (entry.timer !== null) this.options.clock.clearTimeout(entry.timer);
    entry.timer = null;
    this.entries.delete(name);
  }

  /** Stops every schedule (daemon shutdown). Reads in flight end on their own timeout. */
  stop(): void {
    this.stopped = true;
    for (const name of [...this.entries.keys()]) this.forget(name);
  }

  private now(): number {
    return this.options.clock.now();
  }

  /** Whether the entry has something current to say: recent facts, or a recent failure. */
  private current(entry: Entry): boolean {
    const now = this.now();
    const recent = (at: number | null) => at !== null && now - at <= this.staleAfterMs;
    return recent(entry.readAtMs) || recent(entry.failedAtMs);
  }

  /** Keeps reading `entry` every refreshEveryMs while someone asked within keepWarmMs. */
  private poll(name: string, entry: Entry): void {
    if (entry.polling) return;
    entry.polling = true;
    const next = (): void => {
      entry.timer = null;
      const now = this.now();
      if (this.stopped || this.entries.get(name) !== entry || now - entry.askedAtMs > this.keepWarmMs) {
        entry.polling = false;
        return;
      }
      if (entry.inFlight) {
        void entry.inFlight.then(next);
        return;
      }
      const due = entry.endedAtMs === null ? now : entry.endedAtMs + this.refreshEveryMs;
      if (now < due) {
        entry.timer = this.options.clock.setTimeout(next, due - now);
        return;
      }
      const location = this.options.locate(name);
      if (!location || location.boot !== entry.boot) {
        entry.polling = false;
        this.forget(name);
        return;
      }
      void this.refresh(entry, location.target).then(next);
    };
    next();
  }

  /** One read of the guest; its outcome lands in `entry`. Never rejects. */
  private refresh(entry: Entry, target: SshTarget): Promise<void> {
    const read = this.options.shell
      .run(target, GUEST_FACTS_COMMAND, { timeoutMs: this.timeoutMs, maxOutputBytes: MAX_OUTPUT_BYTES })
      .then(
        (result) => {
          if (result.code === 0) {
            entry.facts = parseGuestFacts(result.stdout);
            entry.readAtMs = this.now();
            entry.error = null;
          } else {
            entry.error = describeExit(result.code, result.stderr);
            entry.failedAtMs = this.now();
          }
        },
        (error: unknown) => {
          entry.error = this.describeError(error);
          entry.failedAtMs = this.now();
        },
      )
      .finally(() => {
        entry.endedAtMs = this.now();
        entry.inFlight = null;
      });
    entry.inFlight = read;
    entry.startedAtMs = this.now();
    return read;
  }

  private describeError(error: unknown): string {
    if (isSkiffError(error) && error.code === 'timeout')
      return `guest not answering: ssh timed out after ${formatSeconds(this.timeoutMs)}`;
    return `cannot read guest facts: ${oneLine(error instanceof Error ? error.message : String(error))}`;
  }

  /** Resolves when `work` settles or after `ms`, whichever comes first. */
  private within(work: Promise<void>, ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = this.options.clock.setTimeout(resolve, ms);
      void work.finally(() => {
        this.options.clock.clearTimeout(timer);
        resolve();
      });
    });
  }

  private reading(entry: Entry): GuestFactsReading {
    const now = this.now();
    const ageMs = entry.readAtMs === null ? null : now - entry.readAtMs;
    // A caller that waited in vain learns that the guest is slow, before the read's own timeout says more.
    const waitedMs = entry.inFlight && entry.startedAtMs !== null ? now - entry.startedAtMs : 0;
    const slow =
      waitedMs >= this.coldWaitMs && !this.current(entry)
        ? `guest slow to answer: no reply after ${formatSeconds(waitedMs)} yet`
        : null;
    const error = entry.error ?? slow;
    const status: GuestFactsStatus =
      entry.facts === null
        ? entry.endedAtMs === null
          ? 'pending'
          : 'unavailable'
        : error !== null || (ageMs ?? 0) > this.staleAfterMs
          ? 'stale'
          : 'fresh';
    return { status, facts: entry.facts, readAtMs: entry.readAtMs, ageMs, error };
  }
}

function newEntry(boot: string): Entry {
  return {
    boot,
    facts: null,
    readAtMs: null,
    error: null,
    startedAtMs: null,
    endedAtMs: null,
    failedAtMs: null,
    inFlight: null,
    askedAtMs: 0,
    polling: false,
    timer: null,
  };
}

/** ssh exits 255 for its own failures (refused, reset, auth); anything else is the command's exit code. */
function describeExit(code: number, stderr: string): string {
  const last = oneLine(stderr.trim().split('\n').pop() ?? '');
  if (code === 255) return `guest not answering: ${last || 'ssh failed'}`;
  return `the facts command failed in the guest (exit ${code})${last ? `: ${last}` : ''}`;
}

// eslint-disable-next-line no-control-regex
const CONTROL_CHARACTERS = /[\u0000-\u001f\u007f-\u009f]+/g;

/** One printable line of at most 200 characters: ssh's stderr carries the guest's own text. */
function oneLine(text: string): string {
  return text.replace(CONTROL_CHARACTERS, ' ').trim().slice(0, 200);
}

const formatSeconds = (ms: number) => `${Math.round(ms / 100) / 10} s`;
