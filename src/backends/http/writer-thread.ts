/**
 * @module File writes on a thread of their own. The sink moves (transfers, never copies) full 2 MiB slots here;
 * this thread writes them in order with plain `write` calls of 128 KiB — the size curl uses: on a VM whose
 * free memory is handed back to the host, a page-cache write of megabytes in one call measured up to three
 * times the kernel time of the same bytes in 128 KiB calls — and moves each slot back. Writes of one file are
 * sequential, so the file is always an exact prefix of the stream, even after a kill -9. One thread serves
 * every file; descriptors are opened and closed on the caller's thread.
 */
import { close } from 'node:fs';
import { promisify } from 'node:util';
import { Worker } from 'node:worker_threads';
import { SkiffError } from '../../core/errors.js';

/** Bytes per write call (see the module comment). */
const WRITE_PIECE_BYTES = 128 * 1024;

const closeDescriptor = promisify(close);

// Evaluated from a string: nothing to resolve on disk, so it also works from a bundle. Dynamic imports work
// whether the worker inherits CommonJS or ESM evaluation (e.g. a parent run with --input-type=module);
// messages wait in the port until the listener is attached.
export const WRITER_THREAD_SOURCE = `
(async () => {
const { parentPort } = await import('node:worker_threads');
const { writeSync } = await import('node:fs');
const dropped = new Set();
parentPort.on('message', (m) => {
  if (m.op === 'drop') return void dropped.add(m.id);
  if (m.op === 'flush') {
    dropped.delete(m.id);
    return parentPort.postMessage({ op: 'flushed', id: m.id });
  }
  if (dropped.has(m.id)) return;
  try {
    const bytes = new Uint8Array(m.buffer, 0, m.length);
    for (let at = 0; at < m.length; ) {
      const n = writeSync(m.fd, bytes, at, Math.min(${WRITE_PIECE_BYTES}, m.length - at), m.position + at);
      if (n === 0) throw Object.assign(new Error('write made no progress'), { code: 'EIO' });
      at += n;
    }
    parentPort.postMessage({ op: 'written', id: m.id, seq: m.seq, buffer: m.buffer }, [m.buffer]);
  } catch (error) {
    dropped.add(m.id);
    parentPort.postMessage({ op: 'error', id: m.id, code: error.code, message: String(error.message || error) });
  }
});
})();
`;

type Reply =
  | { op: 'written'; id: number; seq: number; buffer: ArrayBuffer }
  | { op: 'flushed'; id: number }
  | { op: 'error'; id: number; code: string | undefined; message: string };

interface JobHandlers {
  /** The thread this job's writes were sent to: only its failure concerns the job. */
  worker: Worker;
  onWritten: (seq: number, buffer: ArrayBuffer) => void;
  onFlushed: () => void;
  onError: (error: Error) => void;
}

/** Writes of one open file, in order. */
export interface WriteJob {
  /** Writes the first `length` bytes of `buffer` (moved to the thread; it comes back through `onWritten`). */
  write(buffer: ArrayBuffer, length: number, position: number, seq: number): void;
  /**
   * Closes the descriptor once the writes sent so far are done (with `discard`, those not started are skipped).
   * @throws the close error.
   */
  close(options?: { discard?: boolean }): Promise<void>;
}

/** A lazily started writer thread; idle, it neither keeps the process alive nor lingers. */
export class WriterThread {
  #worker: Worker | null = null;
  readonly #jobs = new Map<number, JobHandlers>();
  #nextId = 1;
  #idleTimer: NodeJS.Timeout | null = null;
  readonly #idleMs: number;

  /** @param options.idleMs how long an idle thread is kept for the next file; default 5 s (a thread costs ~4 MB). */
  readonly #source: string;

  /**
   * @param options.idleMs how long an idle thread is kept for the next file; default 5 s (a thread costs ~4 MB).
   * @param options.source the thread's code; tests swap in one that fails, to check how failures are contained.
   */
  constructor(options: { idleMs?: number; source?: string } = {}) {
    this.#idleMs = options.idleMs ?? 5_000;
    this.#source = options.source ?? WRITER_THREAD_SOURCE;
  }

  /**
   * Starts writing the file open as `fd`. The caller must not close `fd` itself but call the job's `close()`,
   * which does once the thread is done with it. `onWritten` is called per write in order, `onError` at most once.
   */
  job(
    fd: number,
    onWritten: (seq: number, buffer: ArrayBuffer) => void,
    onError: (error: Error) => void,
  ): WriteJob {
    const worker = this.#start();
    const id = this.#nextId++;
    let flushed = false;
    let wake: (() => void) | null = null;
    let closing: Promise<void> | null = null;
    this.#jobs.set(id, {
      worker,
      onWritten,
      onError,
      onFlushed: () => {
        flushed = true;
        this.#jobs.delete(id);
        this.#refresh();
        wake?.();
      },
    });
    this.#refresh();
    return {
      write: (buffer, length, position, seq) =>
        worker.postMessage({ op: 'write', id, fd, buffer, length, position, seq }, [buffer]),
      close: (options = {}) =>
        (closing ??= new Promise<void>((resolve) => {
          wake = resolve;
          if (flushed) return resolve();
          if (options.discard) worker.postMessage({ op: 'drop', id });
          worker.postMessage({ op: 'flush', id });
        }).then(() => closeDescriptor(fd))),
    };
  }

  /** Stops the thread; jobs still open see an error (their close() still closes the descriptor). */
  async close(): Promise<void> {
    if (this.#idleTimer !== null) clearTimeout(this.#idleTimer);
    this.#idleTimer = null;
    const worker = this.#worker;
    this.#worker = null;
    if (worker !== null) await worker.terminate();
  }

  #start(): Worker {
    if (this.#worker !== null) return this.#worker;
    const worker = new Worker(this.#source, { eval: true });
    worker.on('message', (reply: Reply) => {
      const job = this.#jobs.get(reply.id);
      if (job === undefined) return;
      if (reply.op === 'written') job.onWritten(reply.seq, reply.buffer);
      else if (reply.op === 'flushed') job.onFlushed();
      else job.onError(Object.assign(new Error(reply.message), reply.code ? { code: reply.code } : {}));
    });
    const failAll = (error: Error) => {
      if (this.#worker === worker) this.#worker = null;
      // No thread, so no write can still land: report, and let close() go on to close the descriptor. Only
      // this thread's jobs: an idle thread stopped by the timer exits (code 1) after a new file may already
      // have started on its successor, and that file must not fail for it.
      for (const job of [...this.#jobs.values()]) {
        if (job.worker !== worker) continue;
        job.onError(error);
        job.onFlushed();
      }
    };
    worker.on('error', (error) =>
      failAll(
        new SkiffError('internal', `the file writer thread failed: ${error.message}`, {
          cause: error,
          details: { reason: 'writer-thread' },
        }),
      ),
    );
    worker.on('exit', (code) =>
      failAll(
        new SkiffError('internal', `the file writer thread stopped unexpectedly (exit code ${code})`, {
          details: { reason: 'writer-thread', exitCode: code },
        }),
      ),
    );
    this.#worker = worker;
    return worker;
  }

  /** Keeps the process alive only while some file is being written; stops an idle thread after a while. */
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
