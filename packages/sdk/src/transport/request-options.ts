// Per-call options accepted by every API method.

export interface RequestOptions {
  /** Cancels the request, before or during the response. */
  signal?: AbortSignal | null | undefined;
  /** Milliseconds to wait for response headers, per attempt (overrides the client's). */
  timeout?: number | undefined;
  /** Milliseconds a response may go without data before it is closed (overrides the client's; 0 disables). */
  idleTimeout?: number | undefined;
  maxRetries?: number | undefined;
  /** The longest `retry-after` honoured, in milliseconds (overrides the client's); asked for more, the call fails. */
  maxRetryWait?: number | undefined;
  /** Extra headers; `null` removes a default one. */
  headers?: Record<string, string | null | undefined> | undefined;
  query?: Record<string, string | undefined> | undefined;
  /** Fields merged into the JSON body as they are, for server extensions the types do not know. */
  extraBody?: Record<string, unknown> | undefined;
}
