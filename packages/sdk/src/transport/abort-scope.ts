// One request's AbortController, linked to the caller's signal, remembering why it was aborted.
import { APIUserAbortError } from "../errors";

/** Aborted because the consumer stopped reading (`break`): end quietly, nothing went wrong. */
export const CONSUMER_DONE = Symbol("consumer done");

export class AbortScope {
  readonly controller = new AbortController();
  readonly #userSignal: AbortSignal | undefined;
  readonly #onUserAbort = () => this.controller.abort(new APIUserAbortError());

  constructor(userSignal?: AbortSignal | null) {
    this.#userSignal = userSignal ?? undefined;
    if (this.#userSignal?.aborted) this.#onUserAbort();
    else this.#userSignal?.addEventListener("abort", this.#onUserAbort, { once: true });
  }

  get signal(): AbortSignal {
    return this.controller.signal;
  }

  abort(reason: unknown): void {
    this.controller.abort(reason);
  }

  /** A promise that rejects with the abort reason: race it against reads that ignore the signal. */
  aborted(): Promise<never> {
    const signal = this.controller.signal;
    const promise = new Promise<never>((_, reject) => {
      if (signal.aborted) reject(signal.reason);
      else signal.addEventListener("abort", () => reject(signal.reason), { once: true });
    });
    promise.catch(() => {});
    return promise;
  }

  /** Stop listening to the caller's signal once the request is over. */
  release(): void {
    this.#userSignal?.removeEventListener("abort", this.#onUserAbort);
  }
}
