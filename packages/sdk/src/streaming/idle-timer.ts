// A restartable deadline: fires when no data event has arrived for `ms` milliseconds.

export class IdleTimer {
  #timer: ReturnType<typeof setTimeout> | undefined;

  /** `ms` of 0 (or less) disables the timer. */
  constructor(
    private readonly ms: number,
    private readonly onIdle: () => void,
  ) {}

  restart(): void {
    this.stop();
    if (this.ms > 0) this.#timer = setTimeout(this.onIdle, this.ms);
  }

  stop(): void {
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
  }
}
