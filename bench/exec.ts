/**
 * @module Benchmark of exec through skiffd's API against a direct OpenSSH connection to the same instance, in
 * the same run: the round trip of `exec -- true` (the whole CLI: start-up, websocket, ssh in the daemon,
 * the guest-side watcher), and a 100 MB stdout stream (the guest's `head -c` of /dev/zero; the bytes are
 * counted, not kept). The direct rows run `ssh` with the daemon's key from the benchmark, as exec did before
 * the key stayed in the daemon. Under TCG the guest's CPU bounds the figures; compare rows, not absolutes.
 * Run with `npm run bench:exec`; writes bench/results/exec.json.
 */
import { spawn } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { sshCommandArgs, type SshTarget } from '../src/core/ssh-args.js';
import { MirrorBed } from '../tests/harness/mirror-bed.js';
import { SKIFF, type SkiffDaemon } from '../tests/harness/skiff-process.js';

const RESULTS_DIR = new URL('../../bench/results/', import.meta.url);
const NAME = 'benchexec';
const ROUND_TRIPS = 20;
const STREAM_RUNS = 3;
const STREAM_BYTES = 100 * 10 ** 6;

const sorted = (xs: number[]) => [...xs].sort((a, b) => a - b);
const percentile = (xs: number[], p: number) =>
  sorted(xs)[Math.min(xs.length - 1, Math.ceil((p / 100) * xs.length) - 1)]!;
const round1 = (x: number) => Math.round(x * 10) / 10;

/** Runs argv; @returns its stdout byte count, exit code and wall time. */
function timed(
  argv: string[],
  env: NodeJS.ProcessEnv,
): Promise<{ ms: number; bytes: number; code: number | null }> {
  const t0 = performance.now();
  return new Promise((resolve, reject) => {
    const child = spawn(argv[0]!, argv.slice(1), { env, stdio: ['ignore', 'pipe', 'inherit'] });
    let bytes = 0;
    child.stdout.on('data', (chunk: Buffer) => (bytes += chunk.length));
    child.once('error', reject);
    child.once('close', (code) => resolve({ ms: performance.now() - t0, bytes, code }));
  });
}

async function main() {
  const bed = await MirrorBed.start('skiff-bench-exec-');
  let daemon: SkiffDaemon | undefined;
  try {
    daemon = await bed.startDaemon();
    const launched = await daemon.cli(['launch', 'noble', '-n', NAME, '-m', '512M', '-d', '1G'], {
      timeoutMs: 900_000,
    });
    if (launched.code !== 0) throw new Error(`launch failed: ${launched.stderr}`);
    const record = (
      JSON.parse(await readFile(join(daemon.dataDir, 'instances.json'), 'utf8')) as {
        data: Array<{ name: string; sshPort: number }>;
      }
    ).data.find((r) => r.name === NAME)!;
    const target: SshTarget = {
      host: '127.0.0.1',
      port: record.sshPort,
      user: 'ubuntu',
      keyPath: join(daemon.dataDir, 'ssh', 'id_ed25519'),
      hostKey: {
        knownHostsFile: join(daemon.dataDir, 'guests', NAME, 'known_hosts'),
        alias: `skiff-instance-${NAME}`,
      },
    };
    const env = { ...process.env, SKIFF_SOCKET: daemon.socket, SKIFF_NO_AUTOSTART: '1' };
    const api = (command: string[]) => [process.execPath, SKIFF, 'exec', NAME, '--', ...command];
    const direct = (command: string) => ['ssh', ...sshCommandArgs(target, command)];
    const stream = `head -c ${STREAM_BYTES} /dev/zero`;

    const rows: Record<string, unknown> = {};
    const measure = async (label: string, argv: string[], runs: number, expectBytes: number) => {
      const times: number[] = [];
      for (let i = 0; i < runs; i++) {
        const result = await timed(argv, env);
        if (result.code !== 0 || result.bytes !== expectBytes)
          throw new Error(`${label}: exit ${result.code}, ${result.bytes} bytes (expected ${expectBytes})`);
        times.push(result.ms);
      }
      return times;
    };
    // Warm both paths once (page cache, the guest's first logins).
    await measure('warm-up api', api(['true']), 1, 0);
    await measure('warm-up direct', direct('true'), 1, 0);
    for (const [label, argv] of [
      ['api', api(['true'])],
      ['direct_ssh', direct('true')],
    ] as const) {
      const times = await measure(label, [...argv], ROUND_TRIPS, 0);
      rows[`true_round_trip_${label}`] = {
        runs: ROUND_TRIPS,
        median_ms: round1(percentile(times, 50)),
        p90_ms: round1(percentile(times, 90)),
      };
    }
    for (const [label, argv] of [
      ['api', api(['sh', '-c', stream])],
      ['direct_ssh', direct(stream)],
    ] as const) {
      const times = await measure(label, [...argv], STREAM_RUNS, STREAM_BYTES);
      const best = Math.min(...times);
      rows[`stdout_100mb_${label}`] = {
        runs: STREAM_RUNS,
        best_ms: round1(best),
        median_ms: round1(percentile(times, 50)),
        mb_per_s: round1(STREAM_BYTES / 10 ** 6 / (best / 1000)),
      };
    }
    const result = {
      note:
        'exec -- true round trip (whole CLI) and a 100 MB stdout stream, through skiffd (websocket + ssh in the ' +
        'daemon) vs ssh run directly with the daemon key; same instance, same run, QEMU under TCG',
      date: new Date().toISOString(),
      ...rows,
    };
    mkdirSync(RESULTS_DIR, { recursive: true });
    writeFileSync(new URL('exec.json', RESULTS_DIR), `${JSON.stringify(result, null, 2)}\n`);
    process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
  } finally {
    await bed.stop(daemon, [NAME]);
  }
}

await main();
