// A restartable deadline that measures silence: it fires when `ms` milliseconds have passed without a
// restart, counting only the time it runs (paused while the consumer, not the server, is busy).

export class IdleTimer {
  #timer: ReturnType<typeof setTimeout> | undefined;
  #remaining: number;
  #startedAt = 0;

  /** `ms` of 0 (or less) disables the timer. */
  constructor(
    private readonly ms: number,
    private readonly onIdle: () => void,
  ) {
    this.#remaining = ms;
  }

  /** Starts the full period again (data arrived). */
  restart(): void {
    this.stop();
    this.#remaining = this.ms;
    this.#start();
  }

  /** Stops the clock, keeping the time left (the consumer is busy with what arrived). */
  pause(): void {
    if (this.#timer === undefined) return;
    clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#remaining = Math.max(0, this.#remaining - (Date.now() - this.#startedAt));
  }

  /** Runs the clock again with the time that was left. */
  resume(): void {
    if (this.#timer === undefined) this.#start();
  }

  stop(): void {
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  #start(): void {
    if (this.ms <= 0) return;
    this.#startedAt = Date.now();
    this.#timer = setTimeout(this.onIdle, this.#remaining);
  }
}
