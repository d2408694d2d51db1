/**
 * Runs at most `limit` tasks at once, first come first served. Used where
 * work runs on libuv's pool: more concurrent CPU-bound jobs than cores only
 * makes each one slower and starves the event loop.
 */
export class ConcurrencyLimit {
  #running = 0;
  readonly #queue: (() => void)[] = [];

  constructor(readonly limit: number) {
    if (!Number.isInteger(limit) || limit < 1) throw new RangeError(`limit must be a positive integer, got ${limit}`);
  }

  async run<T>(task: () => Promise<T>): Promise<T> {
    if (this.#running >= this.limit) await new Promise<void>((resolve) => this.#queue.push(resolve));
    this.#running++;
    try {
      return await task();
    } finally {
      this.#running--;
      this.#queue.shift()?.();
    }
  }
}
