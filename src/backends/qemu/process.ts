/**
 * @module The QEMU process as seen from /proc: pidfile, liveness, identity, waiting for exit, finding the
 * binary. Liveness reads /proc/<pid>/stat rather than `kill -0`, because an exited QEMU that was adopted
 * (its parent is init or a subreaper that does not reap) lingers as a zombie that `kill -0` still finds.
 */
import { constants } from 'node:fs';
import { access, readFile } from 'node:fs/promises';
import { delimiter, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

/** What a pid is doing: running or sleeping (alive), exited but not reaped (zombie), or not there. */
export type ProcessState = 'alive' | 'zombie' | 'gone';

/**
 * Pure: the state letter of /proc/<pid>/stat, which follows the last `)` (the command name may itself
 * contain spaces and parentheses). Returns null for unparseable text.
 */
export function parseProcStatState(stat: string): string | null {
  const end = stat.lastIndexOf(')');
  if (end === -1) return null;
  const match = /^\s*(\S)/.exec(stat.slice(end + 1));
  return match?.[1] ?? null;
}

/** The state of `pid`, from /proc. Never throws. */
export async function processState(pid: number): Promise<ProcessState> {
  try {
    const state = parseProcStatState(await readFile(`/proc/${pid}/stat`, 'utf8'));
    if (state === null) return 'gone';
    return state === 'Z' || state === 'X' ? 'zombie' : 'alive';
  } catch {
    return 'gone';
  }
}

/** The pid in a pidfile, or null when it is missing or garbled. Never throws. */
export async function readPidfile(path: string): Promise<number | null> {
  try {
    const pid = Number.parseInt((await readFile(path, 'utf8')).trim(), 10);
    return Number.isInteger(pid) && pid > 0 ? pid : null;
  } catch {
    return null;
  }
}

/** The argv of a live process (from /proc/<pid>/cmdline), or null. Never throws. */
export async function processArgv(pid: number): Promise<string[] | null> {
  try {
    const raw = await readFile(`/proc/${pid}/cmdline`, 'utf8');
    return raw.split('\0').filter((arg, i, all) => arg !== '' || i < all.length - 1);
  } catch {
    return null;
  }
}

/**
 * The live pid written in `pidfile` if that process is a QEMU started with this very pidfile (guards against
 * a stale pidfile whose pid was reused after a host reboot), else null. Never throws.
 */
export async function livePidFor(pidfile: string): Promise<number | null> {
  const pid = await readPidfile(pidfile);
  if (pid === null || (await processState(pid)) !== 'alive') return null;
  const argv = await processArgv(pid);
  if (argv === null) return null;
  const i = argv.indexOf('-pidfile');
  return i !== -1 && argv[i + 1] === pidfile ? pid : null;
}

/** Polls until `pid` is gone or a zombie; false if still alive after `timeoutMs`. */
export async function waitForExit(pid: number, timeoutMs: number, pollMs = 50): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if ((await processState(pid)) !== 'alive') return true;
    if (Date.now() >= deadline) return false;
    await sleep(pollMs);
  }
}

/** Resolves a command name through PATH (a name with a slash is checked as is); null when not executable. */
export async function findExecutable(name: string, path = process.env.PATH ?? ''): Promise<string | null> {
  const candidates = name.includes('/')
    ? [name]
    : path
        .split(delimiter)
        .filter(Boolean)
        .map((d) => join(d, name));
  for (const candidate of candidates) {
    try {
      await access(candidate, constants.X_OK);
      return candidate;
    } catch {
      // try the next PATH entry
    }
  }
  return null;
}
