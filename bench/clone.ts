/**
 * @module Benchmark of `clone`'s storage work: a stopped instance with a 5 GiB disk on the test image, 500 MiB
 * written into its overlay (non-zero data, so every cluster is really copied), cloned with the QEMU driver as the
 * daemon does it: read the source's seed, then the Cloner (a flattening `qemu-img convert` of base + overlay,
 * and the clone's seed ISO). Median of several runs; the clone is destroyed between runs. No VM boots: the
 * guest plays no part in a clone. Run with `npm run bench:clone`; JSON in bench/results/clone.json.
 */
import { execFile } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm, statfs } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { QemuDriver } from '../src/backends/qemu/driver.js';
import { imageInfo } from '../src/backends/qemu/img.js';
import { cloudInitFiles } from '../src/services/instances/seed/cloud-init.js';
import { buildTestImage } from '../tests/harness/qemu-test-vm.js';

const run = promisify(execFile);
const RUNS = 3;
const DISK_BYTES = 5 * 2 ** 30;
const WRITTEN_BYTES = 500 * 2 ** 20;
const RESULTS_DIR = new URL('../../bench/results/', import.meta.url);

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};

async function main() {
  const image = await buildTestImage();
  const work = await mkdtemp(join(tmpdir(), 'skiff-bench-clone-'));
  try {
    const driver = new QemuDriver({ root: join(work, 'instances') });
    const source = driver.instance('source');
    await source.create({
      baseImage: image,
      diskBytes: DISK_BYTES,
      cloudInit: cloudInitFiles({
        instanceId: 'source-1',
        hostname: 'source',
        sshAuthorizedKeys: ['ssh-ed25519 AAAA bench'],
      }),
    });
    const disk = join(work, 'instances', 'source', 'disk.qcow2');
    // Past the base image's 512 MiB, so the data is the overlay's own.
    await run('qemu-io', ['-f', 'qcow2', '-c', `write -P 0xa5 1G ${WRITTEN_BYTES}`, disk]);
    const sourceInfo = await imageInfo(disk);
    const runs: Array<{ seedReadMs: number; cloneMs: number; totalMs: number }> = [];
    let cloneAllocated = 0;
    for (let i = 0; i < RUNS; i++) {
      const t0 = performance.now();
      const seed = await source.seed!.read();
      const t1 = performance.now();
      await source.cloner!.cloneTo('clone', seed);
      const t2 = performance.now();
      runs.push({ seedReadMs: t1 - t0, cloneMs: t2 - t1, totalMs: t2 - t0 });
      cloneAllocated = (await imageInfo(join(work, 'instances', 'clone', 'disk.qcow2'))).actualBytes;
      await driver.instance('clone').destroy();
    }
    const fs = await statfs(work);
    const total = runs.map((r) => r.totalMs);
    const result = {
      date: new Date().toISOString(),
      what: 'clone of a stopped instance: seed read + qemu-img convert (base + overlay flattened) + seed ISO',
      sourceDisk: {
        virtualBytes: sourceInfo.virtualBytes,
        overlayAllocatedBytes: sourceInfo.actualBytes,
        writtenBytes: WRITTEN_BYTES,
      },
      cloneAllocatedBytes: cloneAllocated,
      filesystem: { type: `0x${fs.type.toString(16)}`, dir: tmpdir() },
      runs: runs.map((r) => ({
        seedReadMs: Math.round(r.seedReadMs),
        cloneMs: Math.round(r.cloneMs),
        totalMs: Math.round(r.totalMs),
      })),
      medianMs: Math.round(median(total)),
      throughputMiBPerS: Math.round((cloneAllocated / 2 ** 20 / (median(total) / 1000)) * 10) / 10,
    };
    console.log(JSON.stringify(result, null, 2));
    mkdirSync(RESULTS_DIR, { recursive: true });
    writeFileSync(join(RESULTS_DIR.pathname, 'clone.json'), `${JSON.stringify(result, null, 2)}\n`);
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

await main();
