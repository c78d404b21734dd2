// The client's log lines, at the level the caller chose (default `warn`), with the API key redacted.
import type { Logger, LogLevel } from "../client-options";

const RANK: Record<LogLevel, number> = { off: 0, error: 1, warn: 2, info: 3, debug: 4 };

/** Headers whose values are secrets. */
const REDACTED = new Set(["authorization", "api-key", "x-api-key", "cookie"]);

export class RequestLog {
  readonly #rank: number;
  readonly #logger: Logger;

  constructor(level: LogLevel = "warn", logger: Logger = console) {
    this.#rank = RANK[level];
    this.#logger = logger;
  }

  request(method: string, url: string, headers: Headers): void {
    if (this.#rank < RANK.debug) return;
    const shown = Object.fromEntries(
      [...headers].map(([name, value]) => [name, REDACTED.has(name) ? "***" : value] as const),
    );
    this.#logger.debug(`anneal-sdk: sending request ${method} ${url}`, { headers: shown });
  }

  response(method: string, url: string, status: number, elapsedMs: number): void {
    if (this.#rank < RANK.debug) return;
    this.#logger.debug(`anneal-sdk: ${method} ${url} answered ${status} in ${elapsedMs} ms`);
  }

  retry(reason: string, delayMs: number, retriesLeft: number): void {
    if (this.#rank < RANK.info) return;
    this.#logger.info(`anneal-sdk: ${reason}; retrying in ${Math.round(delayMs)} ms (${retriesLeft} left)`);
  }
}
