/**
 * @module Benchmark of guest networking, side by side in one run: host → guest HTTP throughput (a 16 MiB file)
 * and request latency (small file, a new connection each) to a busybox httpd in the guest, reached (1) on
 * skiff's bridge by the guest's address, (2) through a `skiff forward` on a NAT instance (the daemon's relay),
 * (3) through a `skiff forward` on a user-mode instance (QEMU's hostfwd); and launch → address shown in `list`.
 * Everything runs in network namespaces the benchmark makes (skiffd, its bridge, the VMs, the client curl).
 * Under TCG the guest's emulated CPU bounds every figure; compare the rows, not absolute numbers.
 * Run with `npm run bench:net`; writes bench/results/net.json.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { NatTestBed } from '../tests/harness/nat-testbed.js';
import type { CliResult, SkiffDaemon } from '../tests/harness/skiff-process.js';

const RESULTS_DIR = new URL('../../bench/results/', import.meta.url);
const BIG_MIB = 16;
const THROUGHPUT_RUNS = 3;
const LATENCY_REQUESTS = 50;

const sorted = (xs: number[]) => [...xs].sort((a, b) => a - b);
const percentile = (xs: number[], p: number) =>
  sorted(xs)[Math.min(xs.length - 1, Math.ceil((p / 100) * xs.length) - 1)]!;
const median = (xs: number[]) => percentile(xs, 50);
const round1 = (x: number) => Math.round(x * 10) / 10;

function ok(result: CliResult, what: string): CliResult {
  if (result.code !== 0) throw new Error(`${what} failed (${result.code}): ${result.stderr}`);
  return result;
}

async function main() {
  const bed = await NatTestBed.start('skiff-bench-net-');
  const net = bed.net;
  let daemon: SkiffDaemon | undefined;
  try {
    daemon = await bed.startDaemon(undefined, ['--log-level', 'warn']);
    const d = daemon;
    const curl = (args: string[]) =>
      net.execInClient(['curl', '-sS', '--max-time', '120', ...args], { timeoutMs: 130_000 });
    const launch = async (name: string, waitAddress: boolean) => {
      const t0 = performance.now();
      ok(
        await d.cli(['launch', 'noble', '-n', name, '-m', '512M', '-d', '1G'], { timeoutMs: 900_000 }),
        `launch ${name}`,
      );
      const launchedMs = performance.now() - t0;
      let address = '';
      while (waitAddress && address === '') {
        const list = JSON.parse(ok(await d.cli(['list', '--format', 'json']), 'list').stdout) as {
          list: Array<{ name: string; ipv4: string[] }>;
        };
        address = list.list.find((i) => i.name === name)?.ipv4[0] ?? '';
        if (address === '') await new Promise((r) => setTimeout(r, 100));
      }
      return { address, launchedMs, addressMs: performance.now() - t0 };
    };
    const serve = async (name: string) =>
      ok(
        await d.cli(
          [
            'exec',
            name,
            '--',
            'sh',
            '-c',
            `mkdir -p /var/tmp/www && dd if=/dev/urandom of=/var/tmp/www/big bs=1M count=${BIG_MIB} 2>/dev/null && ` +
              'echo ok > /var/tmp/www/small && busybox httpd -p 8080 -h /var/tmp/www',
          ],
          { netnsOf: net.clientPid, timeoutMs: 120_000 },
        ),
        `httpd in ${name}`,
      );

    const nat = await launch('natvm', true);
    await serve('natvm');
    ok(await d.cli(['forward', 'add', 'natvm', '127.0.0.1:18081:8080']), 'forward natvm');
    ok(await d.cli(['set', 'local.network-mode=user']), 'set user mode');
    await launch('uservm', false);
    await serve('uservm');
    ok(await d.cli(['forward', 'add', 'uservm', '127.0.0.1:18082:8080']), 'forward uservm');

    const paths = {
      'bridge (guest address)': `http://${nat.address}:8080`,
      'NAT instance, skiff forward (daemon relay)': 'http://127.0.0.1:18081',
      'user-mode instance, skiff forward (QEMU hostfwd)': 'http://127.0.0.1:18082',
    };
    const rows = [];
    for (const [path, base] of Object.entries(paths)) {
      const mibps: number[] = [];
      for (let i = 0; i < THROUGHPUT_RUNS; i++) {
        const [size, seconds] = (
          await curl(['-o', '/dev/null', '-w', '%{size_download} %{time_total}', `${base}/big`])
        )
          .trim()
          .split(' ')
          .map(Number);
        if (size !== BIG_MIB * 2 ** 20) throw new Error(`${path}: got ${size} bytes`);
        mibps.push(size! / 2 ** 20 / seconds!);
      }
      const urls = Array.from({ length: LATENCY_REQUESTS }, () => `${base}/small`);
      const times = (await curl(['-w', '%{time_total}\\n', ...urls.flatMap((u) => ['-o', '/dev/null', u])]))
        .trim()
        .split('\n')
        .map((s) => Number(s) * 1000);
      rows.push({
        path,
        throughputMiBps: round1(median(mibps)),
        latencyP50Ms: round1(percentile(times, 50)),
        latencyP99Ms: round1(percentile(times, 99)),
        requests: times.length,
      });
    }
    const result = {
      date: new Date().toISOString(),
      note: 'QEMU under TCG on this host: the guest CPU bounds throughput; compare rows within one run',
      launchToAddressMs: Math.round(nat.addressMs),
      launchCommandMs: Math.round(nat.launchedMs),
      paths: rows,
    };
    console.table(rows);
    console.log(
      `launch → address in list: ${result.launchToAddressMs} ms (launch command ${result.launchCommandMs} ms)`,
    );
    mkdirSync(RESULTS_DIR, { recursive: true });
    writeFileSync(new URL('net.json', RESULTS_DIR), `${JSON.stringify(result, null, 2)}\n`);
  } finally {
    await bed.stop(daemon);
  }
}

await main();
