// Admission control: at most `concurrency` generations run, at most `queue` wait; beyond that a
// request is refused at once (the route answers 429 with Retry-After).

export class QueueFullError extends Error {
  override name = "QueueFullError";
}

export class Admission {
  #running = 0;
  readonly #waiting: { resolve: () => void; reject: (e: unknown) => void }[] = [];

  constructor(
    readonly concurrency: number,
    readonly queue: number,
  ) {}

  get running(): number {
    return this.#running;
  }

  get queued(): number {
    return this.#waiting.length;
  }

  /** Resolves to a release function once a slot is free; `signal` abandons the wait. */
  async acquire(signal?: AbortSignal): Promise<() => void> {
    signal?.throwIfAborted();
    if (this.#running < this.concurrency) {
      this.#running++;
      return this.#releaser();
    }
    if (this.#waiting.length >= this.queue) throw new QueueFullError("the server is at capacity");
    await new Promise<void>((resolve, reject) => {
      const entry = { resolve, reject };
      this.#waiting.push(entry);
      signal?.addEventListener(
        "abort",
        () => {
          const index = this.#waiting.indexOf(entry);
          if (index >= 0) this.#waiting.splice(index, 1);
          reject(signal.reason);
        },
        { once: true },
      );
    });
    return this.#releaser();
  }

  #releaser(): () => void {
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const next = this.#waiting.shift();
      if (next)
        next.resolve(); // the slot passes straight to the next waiter
      else this.#running--;
    };
  }
}
