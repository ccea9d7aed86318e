/**
 * @module One download per key, however many callers want it (as multipass's `get_image_future`): each caller
 * gets progress and may give up on its own signal; the download itself stops only when every caller gave up.
 */
import type { DownloadProgress } from './ports.js';

/** One caller waiting for a shared download. */
export interface Waiter {
  /** The instance to record as a user once the image is in (null: nobody, e.g. a refresh). */
  instance: string | null;
  signal?: AbortSignal | undefined;
  onProgress?: ((progress: DownloadProgress) => void) | undefined;
}

/** How a download starts: given the shared signal and a progress fan-out. */
export type StartDownload<T> = (options: {
  signal: AbortSignal;
  onProgress: (progress: DownloadProgress) => void;
}) => Promise<T>;

interface Flight<T> {
  promise: Promise<T>;
  controller: AbortController;
  listeners: Set<(progress: DownloadProgress) => void>;
  /** Instance → number of its callers still waiting. */
  users: Map<string, number>;
  waiters: number;
}

/** Merges concurrent downloads of the same key. */
export class SharedDownloads<T> {
  readonly #flights = new Map<string, Flight<T>>();
  readonly #complete: (value: T, users: string[]) => Promise<T>;

  /**
   * @param complete runs once per finished download, before any caller resumes, with the instances still
   * waiting — so recording them as users leaves no moment where the new image looks unused.
   */
  constructor(complete: (value: T, users: string[]) => Promise<T>) {
    this.#complete = complete;
  }

  /** Downloads in progress. */
  get active(): number {
    return this.#flights.size;
  }

  /** Keys of the downloads in progress. */
  keys(): string[] {
    return [...this.#flights.keys()];
  }

  /** Joins the download of `key`, starting it when none runs; rejects with the waiter's abort reason on abort. */
  async join(key: string, start: StartDownload<T>, waiter: Waiter): Promise<T> {
    waiter.signal?.throwIfAborted();
    const flight = this.#flights.get(key) ?? this.#start(key, start);
    const { instance, signal, onProgress } = waiter;
    flight.waiters++;
    if (instance !== null) flight.users.set(instance, (flight.users.get(instance) ?? 0) + 1);
    if (onProgress) flight.listeners.add(onProgress);
    try {
      return await untilAborted(flight.promise, signal);
    } catch (error) {
      if (instance !== null && signal?.aborted) {
        const left = (flight.users.get(instance) ?? 1) - 1;
        if (left > 0) flight.users.set(instance, left);
        else flight.users.delete(instance);
      }
      throw error;
    } finally {
      flight.waiters--;
      if (onProgress) flight.listeners.delete(onProgress);
      if (flight.waiters === 0 && signal?.aborted) flight.controller.abort(signal.reason);
    }
  }

  #start(key: string, start: StartDownload<T>): Flight<T> {
    const controller = new AbortController();
    const listeners = new Set<(progress: DownloadProgress) => void>();
    const users = new Map<string, number>();
    const onProgress = (progress: DownloadProgress): void => {
      for (const listener of listeners) listener(progress);
    };
    const promise = start({ signal: controller.signal, onProgress })
      .then((value) => this.#complete(value, [...users.keys()]))
      .finally(() => this.#flights.delete(key));
    // Every caller may have given up; the failure was theirs to see, not an unhandled rejection.
    promise.catch(() => undefined);
    const flight: Flight<T> = { promise, controller, listeners, users, waiters: 0 };
    this.#flights.set(key, flight);
    return flight;
  }
}

/** `promise`, or the signal's reason as soon as it aborts (the promise itself goes on). */
function untilAborted<T>(promise: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (signal === undefined) return promise;
  if (signal.aborted) return Promise.reject(signal.reason);
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}
