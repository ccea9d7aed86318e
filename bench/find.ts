/**
 * @module Benchmark: `skiff find` end to end (process start, socket request, daemon answer, render) with a warm
 * catalog, side by side with bare `node -e 0` in the same run, interleaved so both see the same machine load.
 * Target: median skiff find <= 1.5 x median bare Node start-up. Run with `npm run bench:find`.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { MirrorServer } from '../tests/harness/mirror-server.js';
import { mirrorTree } from '../tests/harness/mirror-fixture.js';
import { SKIFF, SkiffDaemon } from '../tests/harness/skiff-process.js';

const RUNS = 40;
const WARMUP = 5;
const TARGET_RATIO = 1.5;
const RESULTS_DIR = new URL('../../bench/results/', import.meta.url);

function timeMs(argv: string[], env: NodeJS.ProcessEnv): number {
  const started = process.hrtime.bigint();
  const result = spawnSync(process.execPath, argv, { env, stdio: ['ignore', 'pipe', 'pipe'] });
  const elapsed = Number(process.hrtime.bigint() - started) / 1e6;
  if (result.status !== 0) throw new Error(`${argv.join(' ')} failed: ${result.stderr.toString()}`);
  return elapsed;
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};
const round = (x: number) => Math.round(x * 10) / 10;

async function main(): Promise<void> {
  const mirror = new MirrorServer({ tree: mirrorTree() });
  const daemon = await SkiffDaemon.start({ mirror: await mirror.start(), args: ['--log-level', 'warn'] });
  try {
    await daemon.waitForRemotes((r) => r.every((x) => x.state === 'fresh'));
    const env = { ...process.env, SKIFF_SOCKET: daemon.socket, SKIFF_NO_AUTOSTART: '1', NO_COLOR: '1' };
    const find = [SKIFF, 'find'];
    const bare = ['-e', '0'];
    for (let i = 0; i < WARMUP; i++) {
      timeMs(find, env);
      timeMs(bare, env);
    }
    const findMs: number[] = [];
    const nodeMs: number[] = [];
    for (let i = 0; i < RUNS; i++) {
      findMs.push(timeMs(find, env));
      nodeMs.push(timeMs(bare, env));
    }
    const ratio = median(findMs) / median(nodeMs);
    const result = {
      bench: 'find',
      date: new Date().toISOString(),
      node: process.version,
      runs: RUNS,
      skiffFind: {
        medianMs: round(median(findMs)),
        minMs: round(Math.min(...findMs)),
        maxMs: round(Math.max(...findMs)),
      },
      nodeBare: {
        medianMs: round(median(nodeMs)),
        minMs: round(Math.min(...nodeMs)),
        maxMs: round(Math.max(...nodeMs)),
      },
      ratio: Math.round(ratio * 100) / 100,
      target: `skiff find <= ${TARGET_RATIO} x node -e 0 (medians)`,
      pass: ratio <= TARGET_RATIO,
    };
    console.log('command          median ms  min ms  max ms');
    console.log(
      `skiff find       ${String(result.skiffFind.medianMs).padEnd(11)}${String(result.skiffFind.minMs).padEnd(8)}${result.skiffFind.maxMs}`,
    );
    console.log(
      `node -e 0        ${String(result.nodeBare.medianMs).padEnd(11)}${String(result.nodeBare.minMs).padEnd(8)}${result.nodeBare.maxMs}`,
    );
    console.log(`ratio ${result.ratio} (target <= ${TARGET_RATIO}): ${result.pass ? 'PASS' : 'FAIL'}`);
    mkdirSync(RESULTS_DIR, { recursive: true });
    writeFileSync(join(RESULTS_DIR.pathname, 'find.json'), `${JSON.stringify(result, null, 2)}\n`);
    if (!result.pass) process.exitCode = 1;
  } finally {
    await daemon.stop();
    await mirror.close();
  }
}

await main();
