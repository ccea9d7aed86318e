/**
 * @module A file writer with sha256 computed inline, built for throughput. Each chunk is hashed as it arrives
 * and copied once into a 2 MiB slot (so the socket's buffers die young and the GC stays quiet); a full slot
 * moves to the WriterThread, which writes it while this thread receives and hashes the next ones, and comes
 * back to be refilled. Writes are sequential, so the file on disk is always an exact prefix of the stream: an
 * interrupted transfer leaves bytes that can be resumed, never a hole.
 */
import { createHash, type Hash } from 'node:crypto';
import { close as closeFd, constants, open, read } from 'node:fs';
import { promisify } from 'node:util';
import type { WriteJob, WriterThread } from './writer-thread.js';

const SLOT_BYTES = 2 * 1024 * 1024;
/** At most this many slots (32 MiB) per sink; when all are busy the producer is asked to wait. */
const SLOTS = 16;
/** A waiting producer resumes once at most this many slots are busy. */
const RESUME_AT_SLOTS = SLOTS / 2;
/** Buffer for hashing a resumed prefix. */
const PREFIX_READ_BYTES = 4 * 1024 * 1024;

const openFile = promisify(open);
const readFile = promisify(read);

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
  readonly #job: WriteJob;
  readonly #hash: Hash;
  /** Bytes on disk. */
  #position: number;
  /** Bytes accepted but not yet on disk. */
  #buffered = 0;
  /** Where the next slot goes in the file. */
  #nextPosition: number;
  #allocated = 0;
  #free: Buffer[] = [];
  /** The slot being filled. */
  #fill: Slot | null = null;
  /** Slots are numbered in stream order. */
  #nextSeq = 0;
  #writtenSeq = 0;
  #lengths = new Map<number, number>();
  /** Chunks that arrived while every slot was busy. */
  #overflow: Buffer[] = [];
  #error: Error | null = null;
  #waiters: Waiter[] = [];

  private constructor(fd: number, hash: Hash, position: number, writer: WriterThread) {
    this.#hash = hash;
    this.#position = position;
    this.#nextPosition = position;
    this.#job = writer.job(
      fd,
      (seq, buffer) => this.#written(seq, buffer),
      (error) => this.#fail(error),
    );
  }

  /**
   * Opens `path` to write from scratch (`truncate`) or after its current bytes (`append`, which hashes those
   * bytes first, so the digest covers the whole file with no second pass over the new data).
   */
  static async open(
    path: string,
    mode: 'truncate' | 'append',
    writer: WriterThread,
  ): Promise<HashingFileSink> {
    const flags =
      mode === 'truncate'
        ? constants.O_WRONLY | constants.O_CREAT | constants.O_TRUNC
        : constants.O_RDWR | constants.O_CREAT;
    const fd = await openFile(path, flags, 0o644);
    const hash = createHash('sha256');
    let position = 0;
    try {
      if (mode === 'append') {
        const buffer = Buffer.allocUnsafe(PREFIX_READ_BYTES);
        for (;;) {
          const { bytesRead } = await readFile(fd, buffer, 0, buffer.length, position);
          if (bytesRead === 0) break;
          hash.update(buffer.subarray(0, bytesRead));
          position += bytesRead;
        }
      }
    } catch (error) {
      await promisify(closeFd)(fd).catch(() => undefined);
      throw error;
    }
    return new HashingFileSink(fd, hash, position, writer);
  }

  /** Bytes in the file once everything accepted is written. */
  get bytes(): number {
    return this.#position + this.#buffered;
  }

  /**
   * Hashes and accepts `chunk`, which must not change afterwards unless `transient` (a reused read buffer:
   * whatever cannot go into a slot at once is then copied). Returns false when the producer should wait for
   * `drained()`. @throws the write error, once one happened.
   */
  write(chunk: Buffer, transient = false): boolean {
    if (this.#error !== null) throw this.#error;
    this.#hash.update(chunk);
    this.#buffered += chunk.length;
    if (this.#overflow.length > 0) {
      this.#overflow.push(transient ? Buffer.from(chunk) : chunk);
      return false;
    }
    const rest = this.#copyIn(chunk);
    if (rest !== null) this.#overflow.push(transient ? Buffer.from(rest) : rest);
    return rest === null && this.#canFill();
  }

  /** Resolves when there is room again; rejects when a write failed. */
  drained(): Promise<void> {
    return this.#until(() => this.#overflow.length === 0 && this.#busySlots() <= RESUME_AT_SLOTS);
  }

  /** Writes everything, closes the file and returns its digest. @throws the first write error. */
  async finish(): Promise<{ sha256: string; sizeBytes: number }> {
    try {
      await this.#until(() => this.#overflow.length === 0);
      this.#seal();
      await this.#until(() => this.#writtenSeq === this.#nextSeq);
      await this.#job.close();
      return { sha256: this.#hash.digest('hex'), sizeBytes: this.#position };
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
      await this.#job.close();
    } catch {
      await this.abort();
    }
  }

  /** Stops: writes already started finish (so the file stays a prefix), the rest is dropped. Never throws. */
  async abort(): Promise<void> {
    this.#overflow = [];
    this.#fill = null;
    this.#fail(new Error('sink aborted'));
    await this.#job.close({ discard: true }).catch(() => undefined);
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
      // A plain ArrayBuffer of its own, so it can be moved to the writer thread and back.
      buffer = Buffer.from(new ArrayBuffer(SLOT_BYTES));
    }
    this.#fill = { seq: this.#nextSeq++, buffer, length: 0 };
    return this.#fill;
  }

  /** Sends the slot being filled to the writer thread. */
  #seal(): void {
    const slot = this.#fill;
    if (slot === null || this.#error !== null) return;
    this.#fill = null;
    if (slot.length === 0) {
      // Nothing in it: give the number back so the written count still matches.
      this.#nextSeq--;
      this.#free.push(slot.buffer);
      return;
    }
    this.#lengths.set(slot.seq, slot.length);
    this.#job.write(slot.buffer.buffer as ArrayBuffer, slot.length, this.#nextPosition, slot.seq);
    this.#nextPosition += slot.length;
  }

  /** A slot is on disk and back: refill it with waiting chunks, wake whoever waits. */
  #written(seq: number, buffer: ArrayBuffer): void {
    const length = this.#lengths.get(seq) ?? 0;
    this.#lengths.delete(seq);
    this.#position += length;
    this.#buffered -= length;
    this.#writtenSeq = seq + 1;
    this.#free.push(Buffer.from(buffer));
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
