// The server's defaults: one place for every number that `createServer`, `anneal serve` and its help share.

export const SERVER_DEFAULTS = {
  port: 8000,
  host: "127.0.0.1",
  /** Generations that run at once (their forward passes are batched together). */
  maxConcurrent: 4,
  /** Requests that may wait for a slot; beyond that 429. */
  maxQueue: 16,
  /** Largest max_tokens a request may ask for. */
  maxTokens: 1024,
  /** Request bodies larger than this are refused with 413. */
  bodyLimit: 1024 * 1024,
  /** A generation still running after this is stopped. */
  requestTimeoutMs: 300_000,
  /** On shutdown, in-flight generations get this long to finish. */
  shutdownGraceMs: 10_000,
  /** A client must send its request headers within this time… */
  headersTimeoutMs: 10_000,
  /** …and its whole request (headers and body) within this one; slower clients get 408 and are closed. */
  requestReadTimeoutMs: 30_000,
} as const;
