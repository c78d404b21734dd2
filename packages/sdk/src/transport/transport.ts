// The one transport: each request goes out through our small fetch layer (http-attempt.ts), is
// retried here when that is safe, and its body is read here (JSON, or SSE with an idle timeout).
import type { ResolvedOptions } from "../client-options";
import { MercuryError } from "../errors";
import type { Accumulator } from "../streaming/accumulator";
import { CompletionStream } from "../streaming/completion-stream";
import { readServerSentEvents } from "../streaming/server-sent-events";
import { AbortScope } from "./abort-scope";
import { APIPromise, type WithResponse } from "./api-promise";
import { HttpAttempts } from "./http-attempt";
import { readJSON } from "./read-json";
import { RequestLog } from "./request-log";
import type { RequestOptions } from "./request-options";
import { isRetryable, retryDelay, sleep } from "./retry-policy";

export class Transport {
  readonly #attempts: HttpAttempts;
  readonly #log: RequestLog;
  readonly #options: ResolvedOptions;

  constructor(options: ResolvedOptions) {
    refuseBrowserUnlessAllowed(options);
    this.#options = options;
    this.#log = new RequestLog(options.logLevel, options.logger);
    this.#attempts = new HttpAttempts(options, this.#log);
  }
  /** A request answered with JSON. */
  request<T>(method: "get" | "post", path: string, body: unknown, options: RequestOptions = {}): APIPromise<T> {
    const scope = new AbortScope(options.signal);
    const idleTimeout = options.idleTimeout ?? this.#options.idleTimeout;
    const result = this.#send(method, path, body, scope, options)
      .then(async (response): Promise<WithResponse<T>> => {
        const data = await readJSON<T>(response, scope, idleTimeout);
        return { data, response, request_id: response.headers.get("x-request-id") };
      })
      .finally(() => scope.release());
    return new APIPromise(result);
  }

  /** A POST answered with server-sent events; resolves once the response headers are in. */
  stream<TChunk, TFinal>(
    path: string,
    body: unknown,
    accumulator: Accumulator<TChunk, TFinal>,
    options: RequestOptions = {},
  ): APIPromise<CompletionStream<TChunk, TFinal>> {
    const scope = new AbortScope(options.signal);
    const idleTimeoutMs = options.idleTimeout ?? this.#options.idleTimeout;
    const headers = { Accept: "text/event-stream", ...options.headers };
    const result = this.#send("post", path, body, scope, { ...options, headers })
      .then((response) => {
        const payloads = readServerSentEvents(response, { scope, idleTimeoutMs });
        const stream = new CompletionStream(response, payloads, accumulator, scope);
        return { data: stream, response, request_id: response.headers.get("x-request-id") };
      })
      .catch((error: unknown) => {
        scope.release();
        throw error;
      });
    return new APIPromise(result);
  }

  /**
   * Sends attempts until one is answered with 2xx. Only failures before any response body was read are
   * retried, so nothing streamed is ever sent twice; back-off waits end at once when the caller aborts,
   * and a server asking for more than `maxRetryWait` gets its error back instead of a client that hangs.
   */
  async #send(
    method: "get" | "post",
    path: string,
    body: unknown,
    scope: AbortScope,
    options: RequestOptions,
  ): Promise<Response> {
    const attempt = {
      method: method === "get" ? ("GET" as const) : ("POST" as const),
      path,
      query: options.query,
      headers: options.headers,
      body: method === "post" ? { ...(body as object), ...options.extraBody } : undefined,
      timeout: options.timeout ?? this.#options.timeout,
    };
    const maxRetries = options.maxRetries ?? this.#options.maxRetries;
    for (let retry = 0; ; retry++) {
      try {
        return await this.#attempts.send(attempt, scope);
      } catch (error) {
        if (retry >= maxRetries || !isRetryable(error)) throw error;
        const delay = retryDelay(error, retry, options.maxRetryWait ?? this.#options.maxRetryWait);
        if (delay === undefined) throw error;
        this.#log.retry(error instanceof Error ? error.message : String(error), delay, maxRetries - retry);
        await sleep(delay, scope.signal);
      }
    }
  }
}

function refuseBrowserUnlessAllowed(options: ResolvedOptions): void {
  if (isBrowser() && !options.dangerouslyAllowBrowser) {
    throw new MercuryError(
      "Refusing to run in a browser: an API key in a web page is visible to everyone who opens it. " +
        "Pass `dangerouslyAllowBrowser: true` if this page talks to your own server or a proxy.",
    );
  }
}

function isBrowser(): boolean {
  const scope = globalThis as { window?: { document?: unknown } };
  return typeof scope.window === "object" && typeof scope.window.document === "object";
}
