/**
 * @module A local mirror made with skiff's own tools: `skiff mirror build` publishes an image in both streams,
 * `skiff mirror serve` serves the tree on loopback. Used by e2e tests, benchmarks and the demo.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { runSkiff, SKIFF } from './skiff-process.js';

export interface PublishOptions {
  release?: string;
  version?: string;
  aliases?: string;
  title?: string;
  os?: string;
  streams?: Array<'releases' | 'daily'>;
}

/** Publishes `image` into the tree at `dir` (both streams by default). @returns the commands' stdout. */
export async function publishImage(
  dir: string,
  image: string,
  options: PublishOptions = {},
): Promise<string> {
  let out = '';
  for (const stream of options.streams ?? ['releases', 'daily']) {
    const result = await runSkiff([
      'mirror',
      'build',
      dir,
      '--image',
      image,
      '--release',
      options.release ?? 'noble',
      '--version',
      options.version ?? '24.04',
      '--aliases',
      options.aliases ?? 'noble,24.04,lts',
      '--title',
      options.title ?? '24.04 LTS',
      '--os',
      options.os ?? 'skiff-test',
      '--stream',
      stream,
    ]);
    if (result.code !== 0) throw new Error(`skiff mirror build failed: ${result.stderr}`);
    out += result.stdout;
  }
  return out;
}

export interface ServedMirror {
  child: ChildProcess;
  url: string;
  /** What the server logged so far (one line per request). */
  log(): string;
  stop(): void;
}

/** Runs `skiff mirror serve DIR` on a free loopback port; resolves once it listens. */
export function serveMirror(dir: string): Promise<ServedMirror> {
  const child = spawn(process.execPath, [SKIFF, 'mirror', 'serve', dir, '--listen', '127.0.0.1:0'], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let log = '';
  child.stderr!.setEncoding('utf8').on('data', (c: string) => (log += c));
  return new Promise((resolve, reject) => {
    child.stdout!.setEncoding('utf8').on('data', (c: string) => {
      const url = /at (http:\/\/\S+\/)/.exec(c)?.[1];
      if (url) resolve({ child, url, log: () => log, stop: () => void child.kill() });
    });
    child.once('exit', (code) => reject(new Error(`skiff mirror serve exited with ${code}: ${log}`)));
  });
}
