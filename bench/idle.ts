/**
 * @module Benchmark: skiffd's resident memory and CPU while idle with 3 running VMs. The daemon's own process
 * is measured from /proc (VmRSS, utime + stime), not QEMU's. Targets: RSS under 80 MB, CPU under 0.5 %.
 * Run with `npm run bench:idle`.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildTestImage } from '../tests/harness/qemu-test-vm.js';
import { publishImage, serveMirror } from '../tests/harness/local-mirror.js';
import { SkiffDaemon, sleep } from '../tests/harness/skiff-process.js';

const VMS = 3;
const SAMPLE_S = 60;
const TARGETS = { rssMB: 80, cpuPercent: 0.5 };
const RESULTS_DIR = new URL('../../bench/results/', import.meta.url);
const TICKS_PER_S = 100; // USER_HZ on Linux

function cpuTicks(pid: number): number {
  // Fields after the command name (which may contain spaces) start at ") ".
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return Number(fields[11]) + Number(fields[12]);
}

function rssMB(pid: number): number {
  const kb = Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1]);
  return kb / 1024;
}

async function main(): Promise<void> {
  const image = await buildTestImage();
  const work = await mkdtemp(join(tmpdir(), 'skiff-bench-idle-'));
  const tree = join(work, 'mirror');
  await publishImage(tree, image, { aliases: 'noble' });
  const served = await serveMirror(tree);
  const url = served.url;
  const daemon = await SkiffDaemon.start({
    mirror: url,
    dataDir: join(work, 'daemon'),
    args: ['--log-level', 'warn'],
  });
  const pid = daemon.child.pid!;
  try {
    for (let i = 0; i < VMS; i++) {
      const launched = await daemon.cli(['launch', 'noble', '-n', `idle${i}`, '-m', '512M']);
      if (launched.code !== 0) throw new Error(`launch failed: ${launched.stderr}`);
    }
    // Let start-up garbage be collected and timers settle before measuring.
    await sleep(10_000);
    const rss: number[] = [];
    const startTicks = cpuTicks(pid);
    const started = performance.now();
    for (let s = 0; s < SAMPLE_S; s++) {
      rss.push(rssMB(pid));
      await sleep(1000);
    }
    const elapsedS = (performance.now() - started) / 1000;
    const cpuPercent = ((cpuTicks(pid) - startTicks) / TICKS_PER_S / elapsedS) * 100;
    const result = {
      bench: 'idle',
      date: new Date().toISOString(),
      node: process.version,
      vms: VMS,
      sampleS: Math.round(elapsedS),
      rssMB: {
        max: Math.round(Math.max(...rss) * 10) / 10,
        mean: Math.round((rss.reduce((a, b) => a + b, 0) / rss.length) * 10) / 10,
      },
      cpuPercent: Math.round(cpuPercent * 1000) / 1000,
      targets: TARGETS,
      pass: Math.max(...rss) < TARGETS.rssMB && cpuPercent < TARGETS.cpuPercent,
    };
    console.log(`skiffd idle with ${VMS} running VMs, sampled ${result.sampleS} s`);
    console.log(`RSS max ${result.rssMB.max} MB (mean ${result.rssMB.mean}), target < ${TARGETS.rssMB} MB`);
    console.log(`CPU ${result.cpuPercent} %, target < ${TARGETS.cpuPercent} %`);
    console.log(result.pass ? 'PASS' : 'FAIL');
    mkdirSync(RESULTS_DIR, { recursive: true });
    writeFileSync(join(RESULTS_DIR.pathname, 'idle.json'), `${JSON.stringify(result, null, 2)}\n`);
    if (!result.pass) process.exitCode = 1;
  } finally {
    for (let i = 0; i < VMS; i++) await daemon.cli(['delete', '--purge', `idle${i}`]);
    await daemon.stop({ keepData: true });
    served.stop();
    await rm(work, { recursive: true, force: true });
  }
}

await main();
