/**
 * @module Settling a suspend the daemon died during. QEMU outlives the daemon: it may still be saving (HMP
 * `savevm` holds its main loop, so QMP answers only once the save ends), or it may sit paused after a save
 * that completed or never started. The rule: a complete state saved by this very QEMU process means the user's
 * suspend is done except for ending QEMU, so finish it; anything else is undone by resuming the guest, which
 * loses nothing (its RAM is still in QEMU) and leaves a VM that is simply running again.
 */
import { SUSPEND_SNAPSHOT } from './args.js';
import type { QmpClient } from './qmp-client.js';

/** What to do with a live QEMU after an interrupted suspend. */
export type SettleAction = 'finish' | 'resume' | 'none';

interface BlockInfo {
  inserted?: {
    image?: { snapshots?: Array<{ name?: unknown; 'vm-state-size'?: unknown; 'date-sec'?: unknown }> };
  };
}

/**
 * Pure: whether `query-block`'s reply shows a suspend snapshot with RAM state taken at or after `sinceSec`
 * (the QEMU process's start). An older one is stale (left by an interrupted resume) and must never be
 * taken for this suspend: resuming it would roll RAM back under a newer disk.
 */
export function hasFreshSuspendSnapshot(blocks: unknown, sinceSec: number): boolean {
  if (!Array.isArray(blocks)) return false;
  return (blocks as BlockInfo[]).some((block) =>
    (block.inserted?.image?.snapshots ?? []).some(
      (s) =>
        s.name === SUSPEND_SNAPSHOT &&
        typeof s['vm-state-size'] === 'number' &&
        s['vm-state-size'] > 0 &&
        typeof s['date-sec'] === 'number' &&
        s['date-sec'] >= sinceSec,
    ),
  );
}

/**
 * Pure: the decision, from QEMU's run state and whether a fresh snapshot exists. A running guest needs
 * nothing (the daemon died before it was paused, or after a failed save resumed it).
 */
export function settleAction(status: string, freshSnapshot: boolean): SettleAction {
  if (status === 'running') return 'none';
  return freshSnapshot ? 'finish' : 'resume';
}

/**
 * Waits (up to `timeoutMs`, for a save in progress) for QEMU's state, decides, and resumes the guest when
 * that is the decision. Ending QEMU for `finish` is left to the caller, which owns the process.
 */
export async function settleOverQmp(
  client: QmpClient,
  options: { processStartSec: number; timeoutMs: number },
): Promise<SettleAction> {
  const { status } = await client.execute<{ status: string }>('query-status', undefined, {
    timeoutMs: options.timeoutMs,
  });
  const blocks = await client.execute('query-block', undefined, { timeoutMs: options.timeoutMs });
  const action = settleAction(status, hasFreshSuspendSnapshot(blocks, options.processStartSec));
  if (action === 'resume') await client.execute('cont');
  return action;
}
