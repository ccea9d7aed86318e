/**
 * @module Benchmark of the catalog hot path: read a >= 20 MB products file, parse it for one arch and build
 * the lookup index that resolveImage uses. Each run is a fresh child process, so its peak RSS is the parse
 * and nothing else; the file is generated beforehand, so generation is not measured.
 * Run with `npm run bench:catalog`. Prints a table and writes bench/results/catalog.json.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { indexImages } from '../src/services/catalog/query.js';
import { parseProducts } from '../src/services/catalog/simplestreams.js';
import { syntheticProducts } from '../src/testing/simplestreams-fixture.js';

const FILE_BYTES = 20 * 1024 * 1024;
const RUNS = 5;
const ARCH = 'amd64';
const TARGETS = { medianMs: 400, maxRssMB: 150 };
/** dist/bench/catalog.js → <repo>/bench/results/ */
const RESULTS_DIR = new URL('../../bench/results/', import.meta.url);

interface RunResult {
  readMs: number;
  parseMs: number;
  indexMs: number;
  totalMs: number;
  images: number;
  maxRssMB: number;
}

/** One measured run, inside the child: read, parse, index; report timings and this process's peak RSS. */
function child(file: string): void {
  const started = performance.now();
  const text = readFileSync(file, 'utf8');
  const read = performance.now();
  const images = parseProducts(text, { arch: ARCH, baseUrl: 'https://cloud-images.ubuntu.com/releases/' });
  const parsed = performance.now();
  const index = indexImages(images);
  const done = performance.now();
  const result: RunResult = {
    readMs: round(read - started),
    parseMs: round(parsed - read),
    indexMs: round(done - parsed),
    totalMs: round(done - started),
    images: index.images.length,
    // maxRSS is in KiB.
    maxRssMB: round(process.resourceUsage().maxRSS / 1024),
  };
  process.stdout.write(`${JSON.stringify(result)}\n`);
}

function main(): void {
  const dir = mkdtempSync(join(tmpdir(), 'skiff-bench-catalog-'));
  try {
    const file = join(dir, 'com.ubuntu.cloud:released:download.json');
    writeFileSync(file, syntheticProducts(FILE_BYTES));
    (globalThis as { gc?: () => void }).gc?.();
    const fileBytes = statSync(file).size;
    const runs: RunResult[] = [];
    for (let i = 0; i < RUNS; i++) runs.push(runChild(file));
    const medianMs = median(runs.map((r) => r.totalMs));
    const maxRssMB = Math.max(...runs.map((r) => r.maxRssMB));
    const pass = medianMs < TARGETS.medianMs && maxRssMB < TARGETS.maxRssMB;
    printTable(fileBytes, runs, medianMs, maxRssMB, pass);
    const report = {
      bench: 'catalog',
      date: new Date().toISOString(),
      node: process.version,
      fileBytes,
      runs,
      medianMs,
      maxRssMB,
      targets: TARGETS,
      pass,
    };
    mkdirSync(RESULTS_DIR, { recursive: true });
    writeFileSync(new URL('catalog.json', RESULTS_DIR), `${JSON.stringify(report, null, 2)}\n`);
    if (!pass) process.exitCode = 1;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function runChild(file: string): RunResult {
  const self = fileURLToPath(import.meta.url);
  const run = spawnSync(process.execPath, [self, '--child', file], { encoding: 'utf8' });
  if (run.status !== 0) throw new Error(`benchmark child failed (${run.status}): ${run.stderr}`);
  return JSON.parse(run.stdout) as RunResult;
}

function printTable(
  fileBytes: number,
  runs: RunResult[],
  medianMs: number,
  maxRssMB: number,
  pass: boolean,
): void {
  const mb = (fileBytes / 1024 / 1024).toFixed(1);
  console.log(
    `catalog: ${mb} MB products file, arch ${ARCH}, ${runs[0]?.images ?? 0} images, node ${process.version}`,
  );
  console.log('run   read ms  parse ms  index ms  total ms  maxRSS MB');
  runs.forEach((r, i) => {
    const cells = [r.readMs, r.parseMs, r.indexMs, r.totalMs, r.maxRssMB].map((v) =>
      v.toFixed(1).padStart(8),
    );
    console.log(`${String(i + 1).padEnd(4)}${cells.join('  ')}`);
  });
  console.log(`median total ${medianMs.toFixed(1)} ms (target < ${TARGETS.medianMs})`);
  console.log(`peak RSS ${maxRssMB.toFixed(1)} MB (target < ${TARGETS.maxRssMB})`);
  console.log(pass ? 'PASS' : 'FAIL');
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

function round(value: number): number {
  return Math.round(value * 10) / 10;
}

if (process.argv[2] === '--child' && process.argv[3] !== undefined) child(process.argv[3]);
else main();
