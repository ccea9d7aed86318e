/**
 * @module Image uploads waiting for their bytes. A launch of a local file (`skiff launch file://...`) expects
 * an upload under a random token and tells its client the token on the launch's stream; the client PUTs the
 * file to `/1.0/uploads/<token>` on a second connection and the request body goes straight into the vault.
 * A token is good once, for one launch, and only while that launch waits: no one else learns it, and a stale
 * or guessed one finds nothing.
 */
import { randomBytes } from 'node:crypto';
import type { Readable } from 'node:stream';
import { SkiffError } from '../core/errors.js';

interface Slot {
  sizeBytes: number;
  resolve(body: Readable): void;
}

/** The uploads launches are waiting for, by token. */
export class UploadSlots {
  readonly #slots = new Map<string, Slot>();

  /** A fresh token (128 random bits, hex). */
  newToken(): string {
    return randomBytes(16).toString('hex');
  }

  /**
   * Waits for the body of the upload `token`, exactly `sizeBytes` long. The slot closes when `signal` aborts
   * (the launch ended or timed out): the promise then rejects with the signal's reason.
   */
  expect(token: string, sizeBytes: number, signal?: AbortSignal): Promise<Readable> {
    if (this.#slots.has(token)) throw new Error(`upload token ${token} is already expected`);
    signal?.throwIfAborted();
    return new Promise<Readable>((resolve, reject) => {
      const onAbort = () => {
        this.#slots.delete(token);
        reject(signal?.reason as Error);
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.#slots.set(token, {
        sizeBytes,
        resolve: (body) => {
          signal?.removeEventListener('abort', onAbort);
          resolve(body);
        },
      });
    });
  }

  /**
   * Hands a request body to the launch waiting for `token`; the slot is used up.
   * @throws SkiffError('not-found') when no launch waits for it, 'invalid-argument' when `sizeBytes` is not
   * the size the launch declared (the slot stays open for a correct upload).
   */
  deliver(token: string, sizeBytes: number, body: Readable): void {
    const slot = this.#slots.get(token);
    if (slot === undefined) {
      throw new SkiffError(
        'not-found',
        'no launch is waiting for this upload (it ended, or the token is wrong)',
      );
    }
    if (sizeBytes !== slot.sizeBytes) {
      throw new SkiffError(
        'invalid-argument',
        `the upload is ${sizeBytes} bytes long, the launch declared ${slot.sizeBytes}`,
        { details: { field: 'content-length' } },
      );
    }
    this.#slots.delete(token);
    slot.resolve(body);
  }

  /** How many uploads are awaited (for tests and logs). */
  get size(): number {
    return this.#slots.size;
  }
}
