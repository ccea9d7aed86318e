/**
 * @module Benchmark of snapshots through the CLI and daemon (QEMU, TCG here): an instance with a 5 GB disk and
 * 500 MB written into it; the time to take and to restore a snapshot of it stopped (disk only: qemu-img) and
 * running (disk and memory: savevm; restoring it is a start from the saved state, until SSH answers). Clone
 * time goes in `clone` below (filled in by the clone work). Run with `npm run bench:snapshot`; the JSON goes to
 * bench/results/snapshot.json.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { MirrorBed } from '../tests/harness/mirror-bed.js';
import type { CliResult, SkiffDaemon } from '../tests/harness/skiff-process.js';

const NAME = 'bench';
const DISK = '5G';
const MEMORY = '512M';
const WRITTEN_MB = 500;
const RESULTS_DIR = new URL('../../bench/results/', import.meta.url);
const LONG_MS = 1_800_000;

const now = () => performance.now();

async function timed(daemon: SkiffDaemon, args: string[]): Promise<number> {
  const t0 = now();
  check(await daemon.cli(args, { timeoutMs: LONG_MS }), args);
  return Math.round(now() - t0);
}

function check(result: CliResult, args: string[]): CliResult {
  if (result.code !== 0) throw new Error(`skiff ${args.join(' ')} failed: ${result.stderr}`);
  return result;
}

async function main(): Promise<void> {
  const bed = await MirrorBed.start('skiff-bench-snapshot-');
  let daemon: SkiffDaemon | undefined;
  try {
    daemon = await bed.startDaemon();
    const run = (args: string[]) => daemon!.cli(args, { timeoutMs: LONG_MS }).then((r) => check(r, args));
    await run(['launch', 'noble', '-n', NAME, '-d', DISK, '-m', MEMORY]);
    const writeMs = await timed(daemon, [
      'exec',
      NAME,
      '--',
      'sh',
      '-c',
      `dd if=/dev/urandom of=$HOME/blob bs=1M count=${WRITTEN_MB} 2>/dev/null && sync`,
    ]);
    const used = (await run(['exec', NAME, '--', 'sh', '-c', 'du -m $HOME/blob'])).stdout.trim();

    const runningSnapshotMs = await timed(daemon, ['snapshot', NAME, '-n', 'running']);
    const runningRestoreMs = await timed(daemon, ['restore', `${NAME}.running`, '--destructive']);
    await run(['stop', NAME]);
    const stoppedSnapshotMs = await timed(daemon, ['snapshot', NAME, '-n', 'stopped']);
    const stoppedRestoreMs = await timed(daemon, ['restore', `${NAME}.stopped`, '--destructive']);
    const info = JSON.parse((await run(['info', NAME, '--format', 'json'])).stdout) as {
      info: Record<string, { disks: Record<string, { total: string }> }>;
    };

    const result = {
      bench: 'snapshot',
      date: new Date().toISOString(),
      node: process.version,
      instance: { disk: DISK, memory: MEMORY, writtenMb: WRITTEN_MB, guestDu: used, info: info.info[NAME] },
      writeMs,
      ms: {
        stoppedSnapshot: stoppedSnapshotMs,
        stoppedRestore: stoppedRestoreMs,
        runningSnapshot: runningSnapshotMs,
        runningRestoreToSsh: runningRestoreMs,
      },
      /** Filled in by the clone benchmark: `skiff clone` of the same stopped instance. */
      clone: null as null | { ms: number },
      note: 'CLI wall times (process start included); TCG, 2 shared cores',
    };
    console.log(JSON.stringify(result.ms, null, 2));
    mkdirSync(RESULTS_DIR, { recursive: true });
    writeFileSync(join(RESULTS_DIR.pathname, 'snapshot.json'), `${JSON.stringify(result, null, 2)}\n`);
  } finally {
    await bed.stop(daemon, [NAME]);
  }
}

await main();
