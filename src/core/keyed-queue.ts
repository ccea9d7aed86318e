/**
 * @module One queue of async work per key: work on a key starts after every earlier work on that key ended
 * (whatever its outcome); different keys never wait for each other. Finished queues are forgotten.
 */
export class KeyedQueue {
  private readonly tails = new Map<string, Promise<unknown>>();

  /** Runs `work` after every earlier work on `key`. @returns its result */
  run<T>(key: string, work: () => Promise<T>): Promise<T> {
    const next = (this.tails.get(key) ?? Promise.resolve()).catch(() => undefined).then(work);
    this.tails.set(key, next);
    void next
      .finally(() => {
        if (this.tails.get(key) === next) this.tails.delete(key);
      })
      .catch(() => undefined);
    return next;
  }

  /** Resolves once every work queued on `key` so far has ended. */
  async idle(key: string): Promise<void> {
    await this.tails.get(key)?.catch(() => undefined);
  }
}
