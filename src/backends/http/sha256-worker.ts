/**
 * @module sha256 off the main thread. At loopback speed the main thread is the bottleneck of a download (socket
 * reads, HTTP parsing, GC), and sha256 on the same thread costs as much again; a worker thread hashes the bytes
 * in parallel. Buffers are transferred to the worker and back (moved, not copied: a SharedArrayBuffer would
 * make every copy into it a slow atomic one). One worker serves every concurrent job, in order per job.
 */
import { Worker } from 'node:worker_threads';

// Evaluated from a string: nothing to resolve on disk, so it also works from a bundle. Dynamic imports work
// whether the worker inherits CommonJS or ESM evaluation (e.g. a parent run with --input-type=module);
// messages wait in the port until the listener is attached.
const WORKER_SOURCE = `
(async () => {
const { parentPort } = await import('node:worker_threads');
const { createHash } = await import('node:crypto');
const { closeSync, openSync, readSync } = await import('node:fs');
const jobs = new Map();
function hashFile(job, path, length) {
  const fd = openSync(path, 'r');
  const buffer = Buffer.allocUnsafe(Math.min(4 << 20, Math.max(length, 1)));
  try {
    for (let at = 0; at < length; ) {
      const n = readSync(fd, buffer, 0, Math.min(buffer.length, length - at), at);
      if (n === 0) throw new Error(path + ' is shorter than ' + length + ' bytes');
      job.hash.update(buffer.subarray(0, n));
      at += n;
    }
  } finally {
    closeSync(fd);
  }
}
parentPort.on('message', (m) => {
  const job = jobs.get(m.id);
  try {
    if (m.op === 'open') jobs.set(m.id, { hash: createHash('sha256') });
    else if (job === undefined) return;
    else if (m.op === 'file') hashFile(job, m.path, m.length);
    else if (m.op === 'data') {
      job.hash.update(new Uint8Array(m.buffer, 0, m.length));
      parentPort.postMessage({ op: 'data', id: m.id, seq: m.seq, buffer: m.buffer }, [m.buffer]);
    } else if (m.op === 'end') {
      jobs.delete(m.id);
      parentPort.postMessage({ op: 'digest', id: m.id, hex: job.hash.digest('hex') });
    } else if (m.op === 'drop') jobs.delete(m.id);
  } catch (error) {
    jobs.delete(m.id);
    parentPort.postMessage({ op: 'error', id: m.id, message: String((error && error.message) || error) });
  }
});
})();
`;

type Reply =
  | { op: 'data'; id: number; seq: number; buffer: ArrayBuffer }
  | { op: 'digest'; id: number; hex: string }
  | { op: 'error'; id: number; message: string };

interface JobHandlers {
  onHashed: (seq: number, buffer: ArrayBuffer) => void;
  onDigest: (hex: string) => void;
  onError: (error: Error) => void;
}

/** One sha256 computation in the worker. */
export interface HashJob {
  /** Hashes the first `length` bytes of the file at `path` (a resumed prefix) before anything sent later. */
  hashFile(path: string, length: number): void;
  /**
   * Hashes the first `length` bytes of `buffer`, which moves to the worker (it is detached here) and comes back
   * through `onHashed(seq, buffer)`.
   */
  update(buffer: ArrayBuffer, length: number, seq: number): void;
  /** The hex digest of everything, once every update is hashed. @throws what went wrong in the worker. */
  digest(): Promise<string>;
  /** Forgets the job. */
  drop(): void;
}

/** A lazily started worker thread hashing for any number of jobs; it never keeps the process alive when idle. */
export class Sha256Worker {
  #worker: Worker | null = null;
  readonly #jobs = new Map<number, JobHandlers>();
  #nextId = 1;
  #idleTimer: NodeJS.Timeout | null = null;
  readonly #idleMs: number;

  /** @param options.idleMs how long an idle worker is kept for the next job; default 30 s. */
  constructor(options: { idleMs?: number } = {}) {
    this.#idleMs = options.idleMs ?? 30_000;
  }

  /** Starts a job; `onHashed` is called for each update in order, `onError` at most once. */
  job(onHashed: (seq: number, buffer: ArrayBuffer) => void, onError: (error: Error) => void): HashJob {
    const worker = this.#start();
    const id = this.#nextId++;
    let failure: Error | null = null;
    let digest: { resolve: (hex: string) => void; reject: (error: Error) => void } | null = null;
    this.#jobs.set(id, {
      onHashed,
      onDigest: (hex) => digest?.resolve(hex),
      onError: (error) => {
        failure = error;
        digest?.reject(error);
        onError(error);
      },
    });
    this.#refresh();
    worker.postMessage({ op: 'open', id });
    const finish = () => {
      this.#jobs.delete(id);
      this.#refresh();
    };
    return {
      hashFile: (path, length) => worker.postMessage({ op: 'file', id, path, length }),
      update: (buffer, length, seq) => worker.postMessage({ op: 'data', id, buffer, length, seq }, [buffer]),
      digest: () =>
        new Promise<string>((resolve, reject) => {
          if (failure !== null) return reject(failure);
          digest = { resolve, reject };
          worker.postMessage({ op: 'end', id });
        }).finally(finish),
      drop: () => {
        worker.postMessage({ op: 'drop', id });
        finish();
      },
    };
  }

  /** Stops the worker; jobs in progress fail. */
  async close(): Promise<void> {
    if (this.#idleTimer !== null) clearTimeout(this.#idleTimer);
    this.#idleTimer = null;
    const worker = this.#worker;
    this.#worker = null;
    if (worker !== null) await worker.terminate();
  }

  #start(): Worker {
    if (this.#worker !== null) return this.#worker;
    const worker = new Worker(WORKER_SOURCE, { eval: true });
    worker.on('message', (reply: Reply) => {
      const job = this.#jobs.get(reply.id);
      if (job === undefined) return;
      if (reply.op === 'data') job.onHashed(reply.seq, reply.buffer);
      else if (reply.op === 'digest') job.onDigest(reply.hex);
      else job.onError(new Error(`sha256 worker: ${reply.message}`));
    });
    const failAll = (error: Error) => {
      for (const job of this.#jobs.values()) job.onError(error);
      this.#jobs.clear();
      if (this.#worker === worker) this.#worker = null;
    };
    worker.on('error', failAll);
    worker.on('exit', (code) => failAll(new Error(`sha256 worker exited with code ${code}`)));
    this.#worker = worker;
    return worker;
  }

  /**
   * Keeps the process alive only while some job waits for the worker, and stops an idle worker after a while:
   * an idle daemon should not carry a thread (and its memory) that downloads need a few times a day.
   */
  #refresh(): void {
    if (this.#idleTimer !== null) clearTimeout(this.#idleTimer);
    this.#idleTimer = null;
    if (this.#jobs.size > 0) return void this.#worker?.ref();
    const worker = this.#worker;
    if (worker === null) return;
    worker.unref();
    this.#idleTimer = setTimeout(() => {
      this.#idleTimer = null;
      if (this.#jobs.size > 0 || this.#worker !== worker) return;
      this.#worker = null;
      void worker.terminate();
    }, this.#idleMs);
    this.#idleTimer.unref();
  }
}
