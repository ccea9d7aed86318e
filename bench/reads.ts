/**
 * @module Benchmark: read-only requests under load. A real skiffd with a loopback mirror and two running
 * instances of the test image; while another instance is launched (and purged, and launched again) in the
 * background, rounds of 200 concurrent `list`, `info` and `find` requests go straight to the API socket (no CLI
 * process start-up in the figures). A quarter of each round is `GET /version`, which does no work: its
 * figures are the floor that this machine, its load and the client itself set for any request. Reports
 * p50/p99/max per kind and the errors. Target: p99 at most 100 ms for list, info and find. Run with `npm run bench:reads`; `SKIFF_BENCH_LABEL=before` writes reads-before.json instead
 * of reads.json (to keep a figure measured on an older commit beside the current one).
 */
import { request } from 'node:http';
import { mkdirSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildTestImage } from '../tests/harness/qemu-test-vm.js';
import { publishImage, serveMirror } from '../tests/harness/local-mirror.js';
import { SkiffDaemon, sleep } from '../tests/harness/skiff-process.js';

const INSTANCES = ['reads0', 'reads1'];
const CONCURRENT = 200;
const ROUNDS = 5;
const TARGET_P99_MS = 100;
const RESULTS_DIR = new URL('../../bench/results/', import.meta.url);

type Kind = 'list' | 'info' | 'find' | 'version';
const KINDS: Kind[] = ['list', 'info', 'find', 'version'];
const PATHS: Record<Kind, (i: number) => string> = {
  list: () => '/1.0/instances',
  info: (i) => `/1.0/instances/${INSTANCES[i % INSTANCES.length]}`,
  find: () => '/1.0/images',
  version: () => '/1.0/version',
};

interface Sample {
  kind: Kind;
  ms: number;
  error: string | null;
}

/** One GET on the daemon's socket, timed from the request to the last byte of the body. */
function timedGet(socket: string, path: string, kind: Kind): Promise<Sample> {
  const started = performance.now();
  return new Promise((resolve) => {
    const req = request({ socketPath: socket, path, agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8').on('data', (c: string) => (body += c));
      res.on('end', () => {
        const ms = performance.now() - started;
        // find streams NDJSON: a stream that ends in an error line is an error too.
        const failed = (res.statusCode ?? 0) >= 400 || /"type":"error"/.test(body);
        resolve({ kind, ms, error: failed ? `HTTP ${res.statusCode}: ${body.slice(0, 200)}` : null });
      });
    });
    req.on('error', (error) => resolve({ kind, ms: performance.now() - started, error: error.message }));
    req.end();
  });
}

/** Nearest-rank percentile. */
function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

const round = (x: number) => Math.round(x * 10) / 10;

function summarise(samples: Sample[]) {
  const ms = samples.map((s) => s.ms).sort((a, b) => a - b);
  const errors = samples.filter((s) => s.error !== null);
  return {
    count: samples.length,
    p50Ms: round(percentile(ms, 50)),
    p99Ms: round(percentile(ms, 99)),
    maxMs: round(ms[ms.length - 1] ?? NaN),
    errors: errors.length,
    firstError: errors[0]?.error ?? null,
  };
}

/** Launches, purges and launches again until stopped, so every round runs while a launch is in progress. */
function launchLoop(daemon: SkiffDaemon) {
  let stopped = false;
  let launching = false;
  let launches = 0;
  const failures: string[] = [];
  const done = (async () => {
    for (let i = 0; !stopped; i++) {
      launching = true;
      const result = await daemon.cli(['launch', 'noble', '-n', `bg${i}`, '-m', '512M'], {
        timeoutMs: 600_000,
      });
      launching = false;
      if (result.code === 0) launches++;
      else failures.push(result.stderr.trim().slice(0, 300));
      await daemon.cli(['delete', '--purge', `bg${i}`]);
    }
  })();
  return {
    get launching() {
      return launching;
    },
    stop: async () => {
      stopped = true;
      await done;
      return { launches, failures };
    },
  };
}

async function main(): Promise<void> {
  const image = await buildTestImage();
  const work = await mkdtemp(join(tmpdir(), 'skiff-bench-reads-'));
  const tree = join(work, 'mirror');
  await publishImage(tree, image, { aliases: 'noble' });
  const served = await serveMirror(tree);
  const daemon = await SkiffDaemon.start({
    mirror: served.url,
    dataDir: join(work, 'daemon'),
    args: ['--log-level', 'warn'],
  });
  try {
    for (const name of INSTANCES) {
      const launched = await daemon.cli(['launch', 'noble', '-n', name, '-m', '512M'], {
        timeoutMs: 600_000,
      });
      if (launched.code !== 0) throw new Error(`launch ${name} failed: ${launched.stderr}`);
    }
    // One of each first: a user who runs `info` has usually run it before (and find needs its catalog).
    for (const name of INSTANCES) await timedGet(daemon.socket, `/1.0/instances/${name}`, 'info');
    await timedGet(daemon.socket, '/1.0/images', 'find');

    const loadBefore = loadavg()[0]!;
    const loop = launchLoop(daemon);
    let background: Awaited<ReturnType<typeof loop.stop>> = { launches: 0, failures: [] };
    const samples: Sample[] = [];
    const rounds: Array<{
      launchInProgressAtStart: boolean;
      launchInProgressAtEnd: boolean;
      wallMs: number;
    }> = [];
    try {
      // Let the background launch get past the image copy and into QEMU's boot, the busiest part.
      await sleep(1_500);
      for (let r = 0; r < ROUNDS; r++) {
        const atStart = loop.launching;
        const started = performance.now();
        const batch = await Promise.all(
          Array.from({ length: CONCURRENT }, (_, i) => {
            const kind = KINDS[i % KINDS.length]!;
            return timedGet(daemon.socket, PATHS[kind](Math.floor(i / KINDS.length)), kind);
          }),
        );
        samples.push(...batch);
        rounds.push({
          launchInProgressAtStart: atStart,
          launchInProgressAtEnd: loop.launching,
          wallMs: round(performance.now() - started),
        });
        await sleep(500);
      }
    } finally {
      background = await loop.stop();
    }

    const byKind = Object.fromEntries(
      KINDS.map((kind) => [kind, summarise(samples.filter((s) => s.kind === kind))]),
    ) as Record<Kind, ReturnType<typeof summarise>>;
    const reads = [byKind.list, byKind.info, byKind.find];
    const all = summarise(samples.filter((s) => s.kind !== 'version'));
    const result = {
      bench: 'reads',
      label: process.env.SKIFF_BENCH_LABEL ?? null,
      date: new Date().toISOString(),
      node: process.version,
      // The 1-minute load average of the host before and after the rounds: the floor moves with it.
      hostLoad: { before: round(loadBefore), after: round(loadavg()[0]!) },
      runningInstances: INSTANCES.length,
      concurrent: CONCURRENT,
      rounds,
      backgroundLaunches: background,
      byKind,
      all,
      floor: 'version: a request that does no work, in the same rounds',
      target: `p99 <= ${TARGET_P99_MS} ms for list, info and find; no errors`,
      pass: reads.every((k) => k.p99Ms <= TARGET_P99_MS && k.errors === 0) && byKind.version.errors === 0,
    };
    console.log(
      `${CONCURRENT} concurrent reads x ${ROUNDS} rounds, ${INSTANCES.length} running instances, a launch in progress`,
    );
    console.log('kind      count   p50 ms   p99 ms   max ms  errors');
    for (const [kind, s] of Object.entries(byKind)) {
      console.log(
        `${kind.padEnd(10)}${String(s.count).padStart(5)}${String(s.p50Ms).padStart(9)}${String(s.p99Ms).padStart(9)}${String(s.maxMs).padStart(9)}${String(s.errors).padStart(8)}`,
      );
    }
    for (const [i, r] of rounds.entries()) {
      console.log(
        `round ${i + 1}: ${r.wallMs} ms, launch in progress at start ${r.launchInProgressAtStart}, at end ${r.launchInProgressAtEnd}`,
      );
    }
    console.log(
      `background launches completed: ${background.launches}, failed: ${background.failures.length}`,
    );
    console.log(`target p99 <= ${TARGET_P99_MS} ms: ${result.pass ? 'PASS' : 'FAIL'}`);
    mkdirSync(RESULTS_DIR, { recursive: true });
    const file = result.label ? `reads-${result.label}.json` : 'reads.json';
    writeFileSync(join(RESULTS_DIR.pathname, file), `${JSON.stringify(result, null, 2)}\n`);
    if (!result.pass) process.exitCode = 1;
  } finally {
    for (const name of INSTANCES) await daemon.cli(['delete', '--purge', name]);
    await daemon.stop({ keepData: true });
    served.stop();
    await rm(work, { recursive: true, force: true });
  }
}

await main();
