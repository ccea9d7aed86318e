/**
 * @module Benchmark: image download from a loopback mirror (tests/harness/mirror-main.js in its own process,
 * serving one >= 512 MiB file from memory) with skiff's downloader (sha256 inline) against `curl -o` on the same
 * file and server in the same run, interleaved, median of 3; `curl -o` + `sha256sum` is shown for reference.
 * Then a resume at 50% through the vault: the mirror truncates the first transfer at half (its `truncate`
 * fault), and the mirror's request log shows what the second one asked for.
 * Targets: skiff throughput >= 0.9 x curl's; a resume transfers <= 55% of the file. Run: `npm run bench:download`.
 */
import { spawn, spawnSync, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { createHash, randomFillSync } from 'node:crypto';
import { closeSync, mkdirSync, mkdtempSync, openSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { UndiciDownloader } from '../src/backends/http/downloader.js';
import { inspectImage } from '../src/backends/qemu/img.js';
import { systemClock } from '../src/core/clock.js';
import { Vault } from '../src/services/vault/vault.js';
import type { MirrorCommand } from '../tests/harness/mirror-main.js';
import type { MirrorRequest } from '../tests/harness/mirror-server.js';

const SIZE_BYTES = Number(process.env.BENCH_DOWNLOAD_MIB ?? 512) * 1024 * 1024;
const RUNS = Number(process.env.BENCH_DOWNLOAD_RUNS ?? 3);
const TARGET_RATIO = 0.9;
const SETTLE_MS = 10_000;
const TARGET_RESUME_FRACTION = 0.55;
const RESULTS_DIR = fileURLToPath(new URL('../../bench/results/', import.meta.url));
const MIRROR_MAIN = fileURLToPath(new URL('../tests/harness/mirror-main.js', import.meta.url));
const FILE = 'image.img';

/** The mirror in its own process, so serving never competes with the downloader's event loop. */
class MirrorProcess {
  readonly requests: MirrorRequest[] = [];
  #acks: Array<() => void> = [];

  private constructor(
    readonly child: ChildProcessWithoutNullStreams,
    readonly url: string,
  ) {}

  static async start(dir: string): Promise<MirrorProcess> {
    const child = spawn(process.execPath, [
      MIRROR_MAIN,
      '--dir',
      dir,
      '--listen',
      '127.0.0.1:0',
      '--control',
    ]);
    child.stderr.pipe(process.stderr);
    const lines = createInterface({ input: child.stdout });
    let mirror: MirrorProcess | null = null;
    const url = await new Promise<string>((resolve, reject) => {
      child.once('exit', (code) => reject(new Error(`mirror exited ${code}`)));
      lines.on('line', (line) => {
        if (line.startsWith('listening ')) resolve(line.slice('listening '.length));
        else if (line.startsWith('request '))
          mirror?.requests.push(JSON.parse(line.slice(8)) as MirrorRequest);
        else if (line.startsWith('ok ')) mirror?.acked();
      });
    });
    mirror = new MirrorProcess(child, url);
    return mirror;
  }

  /** The mirror acknowledged the oldest command. */
  acked(): void {
    this.#acks.shift()?.();
  }

  command(command: MirrorCommand): Promise<void> {
    return new Promise((resolve) => {
      this.#acks.push(resolve);
      this.child.stdin.write(`${JSON.stringify(command)}\n`);
    });
  }

  stop(): void {
    this.child.stdin.end();
  }
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const mbps = (seconds: number) => Math.round(SIZE_BYTES / seconds / 1e6);
const round3 = (x: number) => Math.round(x * 1000) / 1000;

function run(command: string, args: string[]): string {
  const result = spawnSync(command, args, { encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`${command} ${args.join(' ')} failed: ${result.stderr}`);
  return result.stdout;
}

/**
 * Every timed transfer starts alike: the previous output deleted and dirty pages flushed, so one client never
 * pays for the writeback of the other's file.
 */
function clean(dest: string): void {
  rmSync(dest, { force: true });
  spawnSync('sync');
}

/** One transfer by skiff's downloader; seconds, checked against the known digest. */
async function skiffOnce(
  downloader: UndiciDownloader,
  url: string,
  dest: string,
  digest: string,
): Promise<number> {
  clean(dest);
  const started = performance.now();
  const result = await downloader.fetch({ url, dest, onProgress: () => undefined });
  const seconds = (performance.now() - started) / 1000;
  if (result.sha256 !== digest) throw new Error(`skiff: wrong sha256 ${result.sha256}`);
  return seconds;
}

/** `curl -o`: its own time_total (from the connection on, as skiff's is measured). */
function curlOnce(url: string, dest: string): number {
  clean(dest);
  return Number(run('curl', ['--silent', '--fail', '--output', dest, '--write-out', '%{time_total}', url]));
}

/** `curl -o` then `sha256sum`, wall time of both processes. */
function curlShaOnce(url: string, dest: string, digest: string): number {
  clean(dest);
  const started = performance.now();
  run('curl', ['--silent', '--fail', '--output', dest, url]);
  const sum = run('sha256sum', [dest]).split(' ')[0];
  const seconds = (performance.now() - started) / 1000;
  if (sum !== digest) throw new Error(`sha256sum: wrong digest ${sum}`);
  return seconds;
}

/** Truncate the first transfer at half; the vault keeps the partial and its retry asks for the rest. */
async function resumeAtHalf(mirror: MirrorProcess, work: string, url: string, digest: string) {
  await mirror.command({ op: 'fault', fault: { action: { kind: 'truncate' }, times: 1 }, path: FILE });
  const log = { info: () => undefined, warn: () => undefined };
  const downloader = new UndiciDownloader();
  const dir = join(work, 'vault');
  const image = {
    id: digest,
    product: 'bench',
    os: 'ubuntu',
    release: '24.04',
    releaseTitle: '24.04 LTS',
    codename: 'noble',
    version: '1',
    aliases: [],
    supported: true,
    arch: 'amd64',
    item: 'disk1.img',
    url,
    sizeBytes: SIZE_BYTES,
    sha256: digest,
  };
  const source = { kind: 'catalog' as const, remote: 'bench', image };
  try {
    mirror.requests.length = 0;
    const first = new Vault({
      dir,
      downloader,
      inspector: { inspect: inspectImage },
      clock: systemClock,
      log,
    });
    await first.init();
    const failed = await first.acquire(source, 'bench').then(
      () => null,
      (error: Error) => error,
    );
    if (failed === null) throw new Error('the truncate fault did not interrupt the download');
    // A new Vault on the same directory, as after a daemon restart.
    const second = new Vault({
      dir,
      downloader,
      inspector: { inspect: inspectImage },
      clock: systemClock,
      log,
    });
    await second.init();
    const started = performance.now();
    const acquired = await second.acquire(source, 'bench');
    const seconds = (performance.now() - started) / 1000;
    if (acquired.id !== digest) throw new Error('resumed image has the wrong id');
    const resumed = mirror.requests.filter((r) => r.method === 'GET' && r.path.endsWith(FILE))[1];
    const from = Number(/^bytes=(\d+)-$/.exec(String(resumed?.headers.range ?? ''))?.[1] ?? 0);
    const transferred = SIZE_BYTES - from;
    return {
      interruptedBy: failed.message,
      rangeRequested: String(resumed?.headers.range ?? 'none'),
      status: resumed?.status ?? 0,
      transferredBytes: transferred,
      fraction: round3(transferred / SIZE_BYTES),
      seconds: round3(seconds),
    };
  } finally {
    await downloader.close();
  }
}

/** Writes SIZE_BYTES of random data in 16 MiB pieces (nothing big stays in this process); returns its sha256. */
function writeRandomFile(path: string): string {
  const hash = createHash('sha256');
  const piece = Buffer.allocUnsafe(16 * 1024 * 1024);
  const fd = openSync(path, 'w');
  try {
    for (let done = 0; done < SIZE_BYTES; done += piece.length) {
      randomFillSync(piece);
      hash.update(piece);
      writeSync(fd, piece);
    }
  } finally {
    closeSync(fd);
  }
  return hash.digest('hex');
}

async function main(): Promise<void> {
  for (const tool of ['curl', 'sha256sum']) {
    if (spawnSync(tool, ['--version']).status !== 0)
      throw new Error(`${tool} is needed (apt-get install ${tool})`);
  }
  const work = mkdtempSync(join(tmpdir(), 'skiff-bench-download-'));
  let mirror: MirrorProcess | null = null;
  const downloader = new UndiciDownloader();
  // For information: the path taken through proxies, https and redirects.
  const viaUndici = new UndiciDownloader({ plainHttp: false });
  try {
    const www = join(work, 'www');
    mkdirSync(www);
    const digest = writeRandomFile(join(www, FILE));
    mirror = await MirrorProcess.start(www);
    const url = `${mirror.url}${FILE}`;
    const out = join(work, 'out.img');
    // Setting up moved a gigabyte through memory (the source written here, loaded by the mirror); on this VM
    // page-cache writes stay slow for a few seconds after such churn, for whichever client runs first.
    await new Promise((resolve) => setTimeout(resolve, SETTLE_MS));
    // Warm-up: connections, page cache, JIT.
    await skiffOnce(downloader, url, out, digest);
    await skiffOnce(viaUndici, url, out, digest);
    curlOnce(url, out);
    const skiff: number[] = [];
    const undici: number[] = [];
    const curl: number[] = [];
    const curlSha: number[] = [];
    for (let i = 0; i < RUNS; i++) {
      // Alternate who goes first, so a burst of other load does not always hit the same client.
      if (i % 2 === 0) {
        skiff.push(await skiffOnce(downloader, url, out, digest));
        curl.push(curlOnce(url, out));
      } else {
        curl.push(curlOnce(url, out));
        skiff.push(await skiffOnce(downloader, url, out, digest));
      }
      curlSha.push(curlShaOnce(url, out, digest));
      undici.push(await skiffOnce(viaUndici, url, out, digest));
    }
    rmSync(out, { force: true });
    const resume = await resumeAtHalf(mirror, work, url, digest);
    const ratio = mbps(median(skiff)) / mbps(median(curl));
    const row = (xs: number[]) => ({
      medianS: round3(median(xs)),
      mbPerS: mbps(median(xs)),
      runsS: xs.map(round3),
    });
    const result = {
      bench: 'download',
      date: new Date().toISOString(),
      node: process.version,
      cpus: availableParallelism(),
      /** skiff's pipeline uses three threads; other load on a small machine hurts it more than curl. */
      loadAverage1m: Math.round(loadavg()[0]! * 100) / 100,
      sizeBytes: SIZE_BYTES,
      runs: RUNS,
      skiff: row(skiff),
      skiffUndiciPath: row(undici),
      curl: row(curl),
      curlThenSha256sum: row(curlSha),
      ratio: Math.round(ratio * 100) / 100,
      target: `skiff (sha256 inline) >= ${TARGET_RATIO} x curl -o throughput (medians)`,
      pass: ratio >= TARGET_RATIO,
      resume: {
        ...resume,
        target: `a resume at 50% transfers <= ${Math.round(TARGET_RESUME_FRACTION * 100)}% of the file`,
        pass: resume.fraction <= TARGET_RESUME_FRACTION,
      },
    };
    const line = (name: string, r: ReturnType<typeof row>) =>
      console.log(
        `${name.padEnd(24)}${String(r.medianS).padEnd(11)}${String(r.mbPerS).padEnd(8)}${r.runsS.join(' ')}`,
      );
    console.log(
      `download of ${SIZE_BYTES / 2 ** 20} MiB from a loopback mirror, median of ${RUNS} ` +
        `(${result.cpus} CPUs, load average ${result.loadAverage1m})`,
    );
    console.log('client                  median s   MB/s    runs (s)');
    line('skiff (sha256 inline)', result.skiff);
    line('  same, undici path', result.skiffUndiciPath);
    line('curl -o', result.curl);
    line('curl -o + sha256sum', result.curlThenSha256sum);
    console.log(
      `ratio skiff/curl ${result.ratio} (target >= ${TARGET_RATIO}): ${result.pass ? 'PASS' : 'FAIL'}`,
    );
    console.log(
      `resume at 50%: asked ${resume.rangeRequested} (HTTP ${resume.status}), transferred ${resume.transferredBytes} bytes ` +
        `= ${Math.round(resume.fraction * 1000) / 10}% (target <= ${Math.round(TARGET_RESUME_FRACTION * 100)}%): ` +
        `${result.resume.pass ? 'PASS' : 'FAIL'}`,
    );
    mkdirSync(RESULTS_DIR, { recursive: true });
    writeFileSync(join(RESULTS_DIR, 'download.json'), `${JSON.stringify(result, null, 2)}\n`);
    if (!result.pass || !result.resume.pass) process.exitCode = 1;
  } finally {
    await downloader.close();
    await viaUndici.close();
    mirror?.stop();
    rmSync(work, { recursive: true, force: true });
  }
}

await main();
