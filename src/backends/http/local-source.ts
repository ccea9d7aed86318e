/**
 * @module Local sources: receiving an upload (bytes a client streams to the daemon), and decompressing `.xz`
 * (the `xz` tool from xz-utils, in a child process: it is faster than any JavaScript port and multi-threaded) or
 * `.gz` (node:zlib). Both hash the bytes they write inline and report progress in bytes read from the source.
 */
import { execFile, spawn } from 'node:child_process';
import { createReadStream } from 'node:fs';
import { open, rm, stat } from 'node:fs/promises';
import { promisify } from 'node:util';
import type { Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { isSkiffError, MissingDependencyError, SkiffError } from '../../core/errors.js';
import type {
  DecompressRequest,
  DecompressResult,
  DownloadProgress,
  ReceiveRequest,
} from '../../services/vault/ports.js';
import { HashingFileSink } from './hashing-sink.js';
import { ProgressMeter } from './progress-meter.js';
import type { WriterThread } from './writer-thread.js';

const run = promisify(execFile);
const READ_CHUNK_BYTES = 1024 * 1024;
const STDERR_LIMIT = 4096;

export interface LocalOptions {
  writer: WriterThread;
  now?: (() => number) | undefined;
  progressIntervalMs?: number | undefined;
  /** The xz executable; default `xz` from PATH. */
  xzPath?: string | undefined;
}

/**
 * Writes an upload into `request.dest` with its sha256. Exactly `request.sizeBytes` must arrive.
 * @throws SkiffError('invalid-argument') naming the upload when the stream ends early or runs long.
 */
export async function receiveUpload(
  request: ReceiveRequest,
  options: LocalOptions,
): Promise<{ sha256: string; sizeBytes: number }> {
  const sink = await HashingFileSink.open(request.dest, 'truncate', options.writer);
  try {
    const meter = meterFor(request.sizeBytes, request.onProgress, options);
    const declared = { name: request.name, sizeBytes: request.sizeBytes };
    await pump(request.input, sink, meter, request.signal, {
      maxBytes: request.sizeBytes,
      exceeded: (total) => sizeMismatch(declared, total),
    });
    const result = await sink.finish();
    if (result.sizeBytes !== request.sizeBytes) throw sizeMismatch(declared, result.sizeBytes);
    meter.report();
    return result;
  } catch (error) {
    request.input.destroy();
    await sink.abort();
    // Never resumed (the client's bytes are gone): nothing of it is kept.
    await rm(request.dest, { force: true });
    if (request.signal?.aborted) throw request.signal.reason;
    // A client that went away mid-upload: node reports it as `aborted` (ECONNRESET).
    if ((error as NodeJS.ErrnoException).code === 'ECONNRESET')
      throw new SkiffError('invalid-argument', `the upload of ${request.name} was cut off by the client`, {
        cause: error,
      });
    throw error;
  }
}

/** Decompresses `request.src` into `request.dest`, hashing the output. @throws SkiffError naming the file. */
export async function decompressFile(
  request: DecompressRequest,
  options: LocalOptions,
): Promise<DecompressResult> {
  const size = await sourceSize(request.src);
  const name = request.name ?? request.src;
  const sink = await HashingFileSink.open(request.dest, 'truncate', options.writer);
  const meter = meterFor(size, request.onProgress, options);
  const input = createReadStream(request.src, { highWaterMark: READ_CHUNK_BYTES });
  input.on('data', (chunk) => meter.add(chunk.length));
  const tool =
    request.format === 'xz' ? startXz(input, name, options.xzPath ?? 'xz') : startGunzip(input, name);
  try {
    const maxBytes = request.maxBytes;
    const limit =
      maxBytes === undefined
        ? null
        : {
            maxBytes,
            exceeded: () =>
              new SkiffError('internal', `${name} expands to more than ${maxBytes} bytes`, {
                details: { reason: 'too-large', path: request.src, maxBytes },
              }),
          };
    await Promise.all([pump(tool.output, sink, null, request.signal, limit), tool.done]);
    const result = await sink.finish();
    meter.report();
    return result;
  } catch (error) {
    tool.stop();
    input.destroy();
    await sink.abort();
    if (request.signal?.aborted) throw request.signal.reason;
    // A full disk or the output cap stopped the copy: the tool then only saw its output closed
    // ("gzip: The operation was aborted", a broken pipe), which says nothing true about the archive.
    if (isSkiffError(error) || (error as { code?: unknown }).code === 'ENOSPC') throw error;
    // Otherwise the tool's own account (bad data, not installed) says more than the broken pipe the copy saw.
    const toolError = await tool.done.then(
      () => null,
      (e: unknown) => e,
    );
    throw toolError instanceof SkiffError ? toolError : error;
  }
}

/**
 * The size `src` decompresses to. xz records it exactly in its index (`xz --robot --list`). gzip records it
 * modulo 4 GiB in its last 4 bytes (and for its last member only): the smallest size consistent with that and
 * with the compressed size (deflate never shrinks data to less than ~1/1032, nor stored data by more than a
 * few bytes) is returned as an estimate, and decompression is capped anyway.
 * @throws SkiffError invalid-argument when the file is not a readable archive
 */
export async function expandedSize(
  src: string,
  format: 'xz' | 'gz',
  xzPath = 'xz',
): Promise<{ bytes: number; exact: boolean }> {
  if (format === 'xz') {
    const { stdout } = await run(xzPath, ['--robot', '--list', src]).catch((error: unknown) => {
      const e = error as NodeJS.ErrnoException & { stderr?: string };
      if (e.code === 'ENOENT') throw xzMissing(src, e);
      throw corrupt(src, `xz --list: ${(e.stderr ?? e.message).trim()}`, error);
    });
    const totals = stdout.split('\n').find((line) => line.startsWith('totals\t'));
    const bytes = Number(totals?.split('\t')[4]);
    if (!Number.isSafeInteger(bytes)) throw corrupt(src, 'xz --list gave no uncompressed size');
    return { bytes, exact: true };
  }
  const handle = await open(src, 'r');
  try {
    const { size } = await handle.stat();
    if (size < 18) throw corrupt(src, 'too short to be a gzip file');
    const trailer = Buffer.alloc(4);
    await handle.read(trailer, 0, 4, size - 4);
    let bytes = trailer.readUInt32LE(0);
    while (bytes < size / 1032) bytes += 2 ** 32;
    return { bytes, exact: false };
  } finally {
    await handle.close();
  }
}

interface Decompressor {
  output: Readable;
  /** Resolves when the tool finished cleanly; rejects with a SkiffError saying why not. */
  done: Promise<void>;
  stop(): void;
}

function startXz(input: Readable, src: string, xz: string): Decompressor {
  const child = spawn(xz, ['--decompress', '--stdout', '--threads=0'], { stdio: ['pipe', 'pipe', 'pipe'] });
  let stderr = '';
  let stopping = false;
  child.stderr.setEncoding('utf8').on('data', (text: string) => {
    if (stderr.length < STDERR_LIMIT) stderr += text;
  });
  // xz exiting early (bad data) closes its stdin: that EPIPE is reported through the exit status instead.
  child.stdin.on('error', () => undefined);
  input.pipe(child.stdin);
  const done = new Promise<void>((resolve, reject) => {
    input.once('error', (error) => {
      child.kill();
      reject(error);
    });
    child.once('error', (error: NodeJS.ErrnoException) => reject(xzMissing(src, error)));
    child.once('close', (code, signal) => {
      if (code === 0) resolve();
      else if (stopping) reject(new Error('xz stopped'));
      else
        reject(
          corrupt(src, `xz ${signal ?? `exited ${code}`}: ${stderr.trim().replace(/^xz: \(stdin\): /, '')}`),
        );
    });
  });
  return {
    output: child.stdout,
    done,
    stop: () => {
      stopping = true;
      child.kill();
    },
  };
}

function startGunzip(input: Readable, src: string): Decompressor {
  const gunzip = createGunzip({ chunkSize: 256 * 1024 });
  input.pipe(gunzip);
  const done = new Promise<void>((resolve, reject) => {
    gunzip.once('end', resolve);
    gunzip.once('error', (error) => reject(corrupt(src, `gzip: ${error.message}`, error)));
    gunzip.once('close', () => reject(new Error('gunzip stopped')));
    input.once('error', reject);
  });
  return { output: gunzip, done, stop: () => gunzip.destroy() };
}

/**
 * Moves a stream into the sink, waiting for the sink when it is full; aborts on the signal, and stops with
 * `limit.exceeded(total)` as soon as more than `limit.maxBytes` came.
 */
async function pump(
  input: Readable,
  sink: HashingFileSink,
  meter: ProgressMeter | null,
  signal?: AbortSignal,
  limit: StreamLimit | null = null,
): Promise<void> {
  const onAbort = (): void => void input.destroy(signal?.reason as Error);
  signal?.throwIfAborted();
  signal?.addEventListener('abort', onAbort, { once: true });
  let total = 0;
  try {
    for await (const chunk of input) {
      total += (chunk as Buffer).length;
      if (limit !== null && total > limit.maxBytes) throw limit.exceeded(total);
      meter?.add((chunk as Buffer).length);
      if (!sink.write(chunk as Buffer)) await sink.drained();
    }
    signal?.throwIfAborted();
  } finally {
    signal?.removeEventListener('abort', onAbort);
  }
}

/** Where a stream must stop, and the error that says why. */
interface StreamLimit {
  maxBytes: number;
  exceeded: (total: number) => SkiffError;
}

interface UploadLimit {
  name: string;
  sizeBytes: number;
}

function sizeMismatch(limit: UploadLimit, got: number): SkiffError {
  const what =
    got < limit.sizeBytes
      ? `ended after ${got} of the ${limit.sizeBytes} bytes declared`
      : `sent more than the ${limit.sizeBytes} bytes declared`;
  return new SkiffError('invalid-argument', `the upload of ${limit.name} ${what}`, {
    details: { field: 'image_upload.size_bytes' },
  });
}

async function sourceSize(path: string): Promise<number> {
  try {
    const info = await stat(path);
    if (!info.isFile()) throw new SkiffError('invalid-argument', `image file ${path} is not a regular file`);
    return info.size;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT')
      throw new SkiffError('not-found', `image file ${path} does not exist`, { cause: error });
    throw error;
  }
}

function meterFor(
  totalBytes: number,
  onProgress: ((p: DownloadProgress) => void) | undefined,
  options: LocalOptions,
): ProgressMeter {
  return new ProgressMeter({
    totalBytes,
    onProgress,
    now: options.now,
    intervalMs: options.progressIntervalMs,
  });
}

function xzMissing(src: string, error: NodeJS.ErrnoException): SkiffError {
  if (error.code === 'ENOENT') {
    return new MissingDependencyError(
      `cannot decompress ${src}: the xz tool is not installed (apt-get install xz-utils)`,
      { program: 'xz', package: 'xz-utils', cause: error },
    );
  }
  return new SkiffError('internal', `cannot decompress ${src}: cannot run xz: ${error.message}`, {
    cause: error,
  });
}

function corrupt(src: string, why: string, cause?: unknown): SkiffError {
  return new SkiffError('invalid-argument', `cannot decompress ${src}: ${why}`, {
    cause,
    details: { path: src },
  });
}
