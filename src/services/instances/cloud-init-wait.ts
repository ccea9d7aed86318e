/**
 * @module Waiting for cloud-init in a guest, and what it reported. One SSH session waits in the guest for
 * `boot-finished`, then asks `cloud-init status`; a session that fails or outlives its own short bound (a guest
 * under load can take a minute to answer one check) is simply tried again. Only `signal` (the caller's deadline)
 * ends the wait.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { GuestShell, SshTarget } from './ports.js';

/** Where cloud-init keeps its logs in every image that has it. */
export const CLOUD_INIT_LOGS = ['/var/log/cloud-init.log', '/var/log/cloud-init-output.log'];

export interface CloudInitOutcome {
  /** cloud-init's own word: `done`, `error`, or `unknown` when it did not say (no cloud-init status command). */
  status: string;
  /** Failing modules and their messages, as cloud-init reported them. */
  errors: string[];
}

const BOOT_FINISHED = '/var/lib/cloud/instance/boot-finished';
const MARKER = '@@skiff-status@@';
/** One session's bound: long enough to see a slow guest through, short enough to notice a dead connection. */
const ATTEMPT_MS = 90_000;

/** The guest-side command: wait for boot-finished (up to the attempt's bound), then the status as JSON. */
export const WAIT_COMMAND =
  `i=0; while [ ! -e ${BOOT_FINISHED} ] && [ $i -lt ${ATTEMPT_MS / 1000 - 10} ]; do sleep 1; i=$((i+1)); done; ` +
  `[ -e ${BOOT_FINISHED} ] || exit 75; echo ${MARKER}; cloud-init status --wait --format json 2>/dev/null || true`;

/** Whether cloud-init finished its first run in this guest (boot-finished exists). Never throws: null = unknown. */
export async function cloudInitFinished(
  shell: GuestShell,
  target: SshTarget,
  signal?: AbortSignal,
): Promise<boolean | null> {
  const result = await shell
    .run(target, `test -e ${BOOT_FINISHED}`, { timeoutMs: 30_000, signal })
    .catch(() => null);
  if (result === null || result.code === 255) return null;
  return result.code === 0;
}

/**
 * Waits until cloud-init finished and returns what it reported.
 * @throws the abort reason of `signal` (the deadline), nothing else
 */
export async function waitForCloudInit(
  shell: GuestShell,
  target: SshTarget,
  signal: AbortSignal,
): Promise<CloudInitOutcome> {
  for (;;) {
    signal.throwIfAborted();
    const result = await shell.run(target, WAIT_COMMAND, { timeoutMs: ATTEMPT_MS, signal }).catch(() => null);
    signal.throwIfAborted();
    const at = result?.stdout.indexOf(MARKER) ?? -1;
    if (result && at !== -1) return parseStatus(result.stdout.slice(at + MARKER.length));
    await sleep(1_000, undefined, { signal }).catch(() => signal.throwIfAborted());
  }
}

/** `cloud-init status --format json` (22.1+); anything else is `unknown` with no errors. Pure. */
export function parseStatus(output: string): CloudInitOutcome {
  const start = output.indexOf('{');
  try {
    const json = JSON.parse(output.slice(start, output.lastIndexOf('}') + 1)) as Record<string, unknown>;
    const status = typeof json.status === 'string' ? json.status : 'unknown';
    const errors = Array.isArray(json.errors) ? json.errors.map(String) : [];
    // cloud-init 23.4+: errors it recovered from, by log level; those at ERROR level are failures too.
    const recoverable = json.recoverable_errors as Record<string, unknown> | undefined;
    const recovered = Array.isArray(recoverable?.ERROR) ? recoverable.ERROR.map(String) : [];
    return { status, errors: [...errors, ...recovered] };
  } catch {
    return { status: 'unknown', errors: [] };
  }
}

/** The warning shown when cloud-init reported failures, or null when it did not. */
export function cloudInitWarning(name: string, outcome: CloudInitOutcome): string | null {
  if (outcome.status !== 'error' && outcome.errors.length === 0) return null;
  const lines = outcome.errors.length > 0 ? outcome.errors : ['(no message: see the log)'];
  return [
    `cloud-init in "${name}" finished with errors (status: ${outcome.status}):`,
    ...lines.map((line) => `  - ${line}`),
    `The full log is in the instance: skiff exec ${name} -- sudo cat ${CLOUD_INIT_LOGS.join(' ')}`,
  ].join('\n');
}
