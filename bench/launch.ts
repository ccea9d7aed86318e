/**
 * @module Benchmark of launching: (1) the instance-create overhead that skiff adds, excluding the guest's boot —
 * qcow2 overlay on the cached base, seed ISO, QEMU spawned until its QMP socket answers — measured with the
 * real backend modules; (2) launch-to-SSH (overhead plus the guest's boot, TCG here); (3) `skiff launch`
 * end to end through the CLI and daemon with a warm image cache. Median of several runs.
 * Target: overhead under 300 ms. Run with `npm run bench:launch`.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freeLoopbackPort } from '../src/backends/host/free-port.js';
import { cloudInitFiles } from '../src/services/instances/seed/cloud-init.js';
import { writeSeedIso } from '../src/backends/iso/seed-iso.js';
import { QemuBackend } from '../src/backends/qemu/backend.js';
import { ensureKeyPair } from '../src/backends/ssh/keys.js';
import { OpenSshGuestShell } from '../src/backends/ssh/session.js';
import { buildTestImage } from '../tests/harness/qemu-test-vm.js';
import { publishImage, serveMirror } from '../tests/harness/local-mirror.js';
import { SkiffDaemon } from '../tests/harness/skiff-process.js';

const RUNS = 5;
const TARGET_OVERHEAD_MS = 300;
const RESULTS_DIR = new URL('../../bench/results/', import.meta.url);

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};
const round = (x: number) => Math.round(x);
const now = () => performance.now();

async function backendRuns(image: string, work: string) {
  const backend = new QemuBackend();
  const { accel, reason } = await backend.detectAccelerator();
  const shell = new OpenSshGuestShell();
  const key = await ensureKeyPair({ dir: join(work, 'ssh') });
  const runs: Array<{
    overlayMs: number;
    seedMs: number;
    spawnMs: number;
    overheadMs: number;
    toSshMs: number;
  }> = [];
  for (let i = 0; i < RUNS; i++) {
    const dir = join(work, `vm${i}`);
    mkdirSync(dir, { recursive: true });
    const sshPort = await freeLoopbackPort();
    const t0 = now();
    await backend.createDisk({ dir, baseImage: image, diskBytes: 2 * 2 ** 30 });
    const t1 = now();
    await writeSeedIso({
      dir,
      files: cloudInitFiles({
        instanceId: `bench-${i}`,
        hostname: `bench${i}`,
        sshAuthorizedKeys: [key.publicKey],
      }),
    });
    const t2 = now();
    await backend.start({
      name: `bench${i}`,
      dir,
      cpus: 1,
      memoryBytes: 512 * 2 ** 20,
      nics: [{ kind: 'user', mac: `52:54:00:be:00:0${i}`, sshPort }],
      accel,
    });
    const t3 = now();
    await shell.waitReady(
      {
        host: '127.0.0.1',
        port: sshPort,
        user: 'ubuntu',
        keyPath: key.privateKeyPath,
        hostKey: { knownHostsFile: join(dir, 'known_hosts'), alias: `bench${i}`, learn: true },
      },
      { timeoutMs: 180_000 },
    );
    const t4 = now();
    await backend.kill(dir);
    runs.push({
      overlayMs: t1 - t0,
      seedMs: t2 - t1,
      spawnMs: t3 - t2,
      overheadMs: t3 - t0,
      toSshMs: t4 - t0,
    });
  }
  return { accel, reason, runs };
}

async function cliRuns(image: string, work: string) {
  const tree = join(work, 'mirror');
  await publishImage(tree, image, { aliases: 'noble' });
  const served = await serveMirror(tree);
  const url = served.url;
  const daemon = await SkiffDaemon.start({
    mirror: url,
    dataDir: join(work, 'daemon'),
    args: ['--log-level', 'warn'],
  });
  const times: number[] = [];
  try {
    // The first launch fills the image cache; it is not counted.
    await daemon.cli(['launch', 'noble', '-n', 'warmup', '-m', '512M']);
    await daemon.cli(['delete', '--purge', 'warmup']);
    for (let i = 0; i < 3; i++) {
      const t0 = now();
      const result = await daemon.cli(['launch', 'noble', '-n', `cli${i}`, '-m', '512M']);
      times.push(now() - t0);
      if (result.code !== 0) throw new Error(`launch failed: ${result.stderr}`);
      await daemon.cli(['delete', '--purge', `cli${i}`]);
    }
  } finally {
    await daemon.stop({ keepData: true });
    served.stop();
  }
  return times;
}

async function main(): Promise<void> {
  const image = await buildTestImage();
  const work = await mkdtemp(join(tmpdir(), 'skiff-bench-launch-'));
  try {
    const { accel, reason, runs } = await backendRuns(image, work);
    const cli = await cliRuns(image, work);
    const pick = (key: keyof (typeof runs)[number]) => round(median(runs.map((r) => r[key])));
    const result = {
      bench: 'launch',
      date: new Date().toISOString(),
      node: process.version,
      accel,
      accelReason: reason,
      runs: RUNS,
      medianMs: {
        overlay: pick('overlayMs'),
        seedIso: pick('seedMs'),
        qemuSpawnToQmp: pick('spawnMs'),
        overhead: pick('overheadMs'),
        launchToSsh: pick('toSshMs'),
      },
      maxOverheadMs: round(Math.max(...runs.map((r) => r.overheadMs))),
      cliLaunchWarmCacheMs: { runs: cli.map(round), median: round(median(cli)) },
      target: `create overhead (overlay + seed + spawn) < ${TARGET_OVERHEAD_MS} ms (median)`,
      pass: median(runs.map((r) => r.overheadMs)) < TARGET_OVERHEAD_MS,
    };
    console.log(`accelerator: ${accel} (${reason})`);
    console.log('stage                        median ms');
    for (const [stage, ms] of Object.entries(result.medianMs)) console.log(`${stage.padEnd(29)}${ms}`);
    console.log(
      `skiff launch (CLI, warm)     ${result.cliLaunchWarmCacheMs.median}  (runs: ${result.cliLaunchWarmCacheMs.runs.join(', ')})`,
    );
    console.log(`overhead target < ${TARGET_OVERHEAD_MS} ms: ${result.pass ? 'PASS' : 'FAIL'}`);
    mkdirSync(RESULTS_DIR, { recursive: true });
    writeFileSync(join(RESULTS_DIR.pathname, 'launch.json'), `${JSON.stringify(result, null, 2)}\n`);
    if (!result.pass) process.exitCode = 1;
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

await main();
