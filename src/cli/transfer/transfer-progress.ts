/**
 * @module A progress bar for one large file while sftp copies it. sftp in batch mode shows none, so skiff
 * watches from outside: a download by the size of the local file growing, an upload by the read offset of
 * sftp's descriptor on the source (`/proc/PID/fdinfo`, Linux). Shown on a terminal only.
 */
import { readdir, readFile, readlink, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { progressReporter } from '../progress.js';

/** Files smaller than this copy too fast for a bar to help. */
export const PROGRESS_MIN_BYTES = 8 * 2 ** 20;

export type ByteCounter = () => Promise<number | null>;

/** Bytes written so far to the local file `path` (a download). */
export function localFileBytes(path: string): ByteCounter {
  return async () => (await stat(path).catch(() => null))?.size ?? null;
}

/** How far process `pid` has read the file `path` (an upload), from its descriptor's offset. */
export function readOffsetOf(pid: number, path: string): ByteCounter {
  let fd: string | null = null;
  return async () => {
    try {
      if (fd === null) {
        for (const candidate of await readdir(`/proc/${pid}/fd`)) {
          if ((await readlink(join(`/proc/${pid}/fd`, candidate)).catch(() => '')) === path) fd = candidate;
        }
        if (fd === null) return null;
      }
      const pos = /^pos:\s*(\d+)/m.exec(await readFile(`/proc/${pid}/fdinfo/${fd}`, 'utf8'));
      return pos ? Number(pos[1]) : null;
    } catch {
      return null;
    }
  };
}

/**
 * Shows a bar for `totalBytes` on `stream` (when it is a terminal), sampling `count` every 250 ms.
 * @returns a function that stops and clears it.
 */
export function showTransferProgress(options: {
  stream: NodeJS.WriteStream;
  label: string;
  totalBytes: number;
  count: ByteCounter;
  now?: () => number;
}): () => void {
  const { stream, label, totalBytes, count } = options;
  if (stream.isTTY !== true || totalBytes < PROGRESS_MIN_BYTES) return () => undefined;
  const now = options.now ?? Date.now;
  const progress = progressReporter(stream);
  const started = now();
  const timer = setInterval(() => {
    void count().then((bytes) => {
      if (bytes === null) return;
      const seconds = Math.max(0.001, (now() - started) / 1000);
      const rate = bytes / seconds;
      progress.update(label, {
        bytes,
        total_bytes: totalBytes,
        rate_bytes_per_s: rate,
        eta_s: rate > 0 ? (totalBytes - bytes) / rate : null,
      });
    });
  }, 250);
  return () => {
    clearInterval(timer);
    progress.done();
  };
}
