/**
 * @module A file writer with sha256 computed inline, built for throughput. Each chunk is copied once into a
 * 2 MiB slot (so the socket's buffers die young and the GC stays quiet); a full slot is written by a positioned
 * write in libuv's pool, then moved to the Sha256Worker to be hashed and moved back — so writing, hashing and
 * receiving run on three threads at once. One write runs at a time, in order, so the file on disk is always an
 * exact prefix of the stream: an interrupted transfer leaves bytes that can be resumed, never a hole.
 */
import { open, type FileHandle } from 'node:fs/promises';
import type { HashJob, Sha256Worker } from './sha256-worker.js';

const SLOT_BYTES = 2 * 1024 * 1024;
/** At most this many slots (32 MiB) per sink; when all are busy the producer is asked to wait. */
const SLOTS = 16;
/** A waiting producer resumes once at most this many slots are busy. */
const RESUME_AT_SLOTS = SLOTS / 2;

interface Slot {
  seq: number;
  buffer: Buffer;
  length: number;
}

interface Waiter {
  ready: () => boolean;
  resolve: () => void;
  reject: (error: Error) => void;
}

/** Appends a stream of chunks to a file, hashing every byte of the file once. */
export class HashingFileSink {
  readonly #handle: FileHandle;
  readonly #job: HashJob;
  /** Bytes on disk. */
  #position: number;
  /** Bytes accepted but not yet on disk. */
  #buffered = 0;
  #allocated = 0;
  #free: Buffer[] = [];
  /** The slot being filled. */
  #fill: Slot | null = null;
  /** Slots are numbered in stream order. */
  #nextSeq = 0;
  #hashedSeq = 0;
  /** Full slots waiting to be written, in order. */
  #sealed: Slot[] = [];
  /** Chunks that arrived while every slot was busy. */
  #overflow: Buffer[] = [];
  /** The write loop while it runs. */
  #writing: Promise<void> | null = null;
  #error: Error | null = null;
  #waiters: Waiter[] = [];
  #closed = false;

  private constructor(handle: FileHandle, position: number, hasher: Sha256Worker) {
    this.#handle = handle;
    this.#position = position;
    this.#job = hasher.job(
      (seq, buffer) => {
        this.#hashedSeq = seq + 1;
        this.#free.push(Buffer.from(buffer));
        this.#release();
      },
      (error) => this.#fail(error),
    );
  }

  /**
   * Opens `path` to write from scratch (`truncate`) or after its current bytes (`append`: the worker hashes
   * those bytes first, so the digest covers the whole file with no second pass over the new data).
   */
  static async open(
    path: string,
    mode: 'truncate' | 'append',
    hasher: Sha256Worker,
  ): Promise<HashingFileSink> {
    const handle = await open(path, mode === 'truncate' ? 'w' : 'a+');
    try {
      const size = mode === 'append' ? (await handle.stat()).size : 0;
      const sink = new HashingFileSink(handle, size, hasher);
      if (size > 0) sink.#job.hashFile(path, size);
      return sink;
    } catch (error) {
      await handle.close().catch(() => undefined);
      throw error;
    }
  }

  /** Bytes in the file once everything accepted is written. */
  get bytes(): number {
    return this.#position + this.#buffered;
  }

  /**
   * Accepts `chunk`, which must not change afterwards unless `transient` (a reused read buffer: whatever
   * cannot go into a slot at once is then copied). Returns false when the producer should wait for
   * `drained()`. @throws the write or hash error, once one happened.
   */
  write(chunk: Buffer, transient = false): boolean {
    if (this.#error !== null) throw this.#error;
    this.#buffered += chunk.length;
    if (this.#overflow.length > 0) {
      this.#overflow.push(transient ? Buffer.from(chunk) : chunk);
      return false;
    }
    const rest = this.#copyIn(chunk);
    if (rest !== null) this.#overflow.push(transient ? Buffer.from(rest) : rest);
    return rest === null && this.#canFill();
  }

  /** Resolves when there is room again; rejects when a write or the hash failed. */
  drained(): Promise<void> {
    return this.#until(() => this.#overflow.length === 0 && this.#busySlots() <= RESUME_AT_SLOTS);
  }

  /** Writes everything, closes the file and returns its digest. @throws the first write or hash error. */
  async finish(): Promise<{ sha256: string; sizeBytes: number }> {
    try {
      await this.#until(() => this.#overflow.length === 0);
      this.#seal();
      await this.#until(
        () => this.#sealed.length === 0 && this.#writing === null && this.#hashedSeq === this.#nextSeq,
      );
      const sha256 = await this.#job.digest();
      this.#closed = true;
      await this.#handle.close();
      return { sha256, sizeBytes: this.#position };
    } catch (error) {
      await this.abort();
      throw error;
    }
  }

  /**
   * Stops early but keeps what arrived: writes it (the bytes are valid and save a download on resume), then
   * closes. Never throws; after a write error it is `abort`.
   */
  async close(): Promise<void> {
    try {
      await this.#until(() => this.#overflow.length === 0);
      this.#seal();
      await this.#until(() => this.#sealed.length === 0 && this.#writing === null);
    } catch {
      // A failed write: what is on disk is still a prefix; abort below closes the file.
    }
    await this.abort();
  }

  /** Stops: waits for the write in flight (so the file stays a prefix), drops the rest, closes. Never throws. */
  async abort(): Promise<void> {
    this.#overflow = [];
    this.#sealed = [];
    this.#fill = null;
    this.#fail(new Error('sink aborted'));
    while (this.#writing !== null) await this.#writing;
    if (this.#closed) return;
    this.#closed = true;
    this.#job.drop();
    await this.#handle.close().catch(() => undefined);
  }

  /** Copies as much of `chunk` as fits into free slots; returns the rest, or null when all fit. */
  #copyIn(chunk: Buffer): Buffer | null {
    let offset = 0;
    while (offset < chunk.length) {
      const slot = this.#fill ?? this.#take();
      if (slot === null) return chunk.subarray(offset);
      const n = Math.min(SLOT_BYTES - slot.length, chunk.length - offset);
      chunk.copy(slot.buffer, slot.length, offset, offset + n);
      slot.length += n;
      offset += n;
      if (slot.length === SLOT_BYTES) this.#seal();
    }
    return null;
  }

  /** A free slot to fill (allocated on first need), or null when all are busy. */
  #take(): Slot | null {
    let buffer = this.#free.pop();
    if (buffer === undefined) {
      if (this.#allocated === SLOTS) return null;
      this.#allocated++;
      // A plain ArrayBuffer of its own, so it can be moved to the worker and back.
      buffer = Buffer.from(new ArrayBuffer(SLOT_BYTES));
    }
    this.#fill = { seq: this.#nextSeq++, buffer, length: 0 };
    return this.#fill;
  }

  /** Queues the slot being filled for writing. */
  #seal(): void {
    const slot = this.#fill;
    if (slot === null || this.#error !== null) return;
    this.#fill = null;
    if (slot.length === 0) {
      // Nothing in it: give the number back so the hashed count still matches.
      this.#nextSeq--;
      this.#free.push(slot.buffer);
      return;
    }
    this.#sealed.push(slot);
    this.#writing ??= this.#writeSealed();
  }

  async #writeSealed(): Promise<void> {
    try {
      while (this.#sealed.length > 0 && this.#error === null) {
        const batch = this.#sealed;
        this.#sealed = [];
        const length = batch.reduce((sum, slot) => sum + slot.length, 0);
        await this.#writeAll(
          batch.map((slot) => slot.buffer.subarray(0, slot.length)),
          length,
        );
        this.#position += length;
        this.#buffered -= length;
        // Written: now the worker may have them (they are detached here until they come back).
        for (const slot of batch) this.#job.update(slot.buffer.buffer as ArrayBuffer, slot.length, slot.seq);
      }
    } catch (error) {
      this.#fail(error instanceof Error ? error : new Error(String(error)));
    } finally {
      this.#writing = null;
      this.#notify();
    }
  }

  /** writev until every byte is down: a regular file may take fewer bytes than asked (e.g. just before ENOSPC). */
  async #writeAll(buffers: Buffer[], length: number): Promise<void> {
    let done = 0;
    let rest = buffers;
    while (done < length) {
      const { bytesWritten } = await this.#handle.writev(rest, this.#position + done);
      if (bytesWritten === 0) throw Object.assign(new Error('write made no progress'), { code: 'EIO' });
      done += bytesWritten;
      rest = skip(rest, bytesWritten);
    }
  }

  /** A slot came back: move waiting chunks in, wake whoever waits. */
  #release(): void {
    while (this.#overflow.length > 0 && this.#error === null) {
      const rest = this.#copyIn(this.#overflow[0]!);
      if (rest !== null) {
        this.#overflow[0] = rest;
        break;
      }
      this.#overflow.shift();
    }
    this.#notify();
  }

  #busySlots(): number {
    return this.#allocated - this.#free.length;
  }

  #canFill(): boolean {
    return this.#fill !== null || this.#free.length > 0 || this.#allocated < SLOTS;
  }

  #until(ready: () => boolean): Promise<void> {
    if (this.#error !== null) return Promise.reject(this.#error);
    if (ready()) return Promise.resolve();
    return new Promise((resolve, reject) => this.#waiters.push({ ready, resolve, reject }));
  }

  #notify(): void {
    const waiting = this.#waiters;
    this.#waiters = [];
    for (const waiter of waiting) {
      if (this.#error !== null) waiter.reject(this.#error);
      else if (waiter.ready()) waiter.resolve();
      else this.#waiters.push(waiter);
    }
  }

  #fail(error: Error): void {
    this.#error ??= error;
    this.#overflow = [];
    this.#notify();
  }
}

function skip(buffers: Buffer[], bytes: number): Buffer[] {
  let left = bytes;
  let i = 0;
  while (i < buffers.length && left >= buffers[i]!.length) left -= buffers[i++]!.length;
  const rest = buffers.slice(i);
  if (left > 0 && rest.length > 0) rest[0] = rest[0]!.subarray(left);
  return rest;
}
