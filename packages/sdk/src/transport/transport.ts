// The one place that talks to the `openai` package: it owns retries, timeouts and error statuses;
// we read the bodies ourselves (JSON, or SSE with idle timeout and Mercury's error frames).
import OpenAI from "openai";
import type { ResolvedOptions } from "../client-options";
import { MercuryError } from "../errors";
import type { Accumulator } from "../streaming/accumulator";
import { CompletionStream } from "../streaming/completion-stream";
import { readServerSentEvents } from "../streaming/server-sent-events";
import { VERSION } from "../version";
import { AbortScope } from "./abort-scope";
import { APIPromise, type WithResponse } from "./api-promise";
import { wrapFetch } from "./fetch-wrapper";
import { toMercuryError } from "./openai-errors";
import { readJSON } from "./read-json";
import type { RequestOptions } from "./request-options";
import { isRetryable, retryDelay, sleep } from "./retry-policy";

export class Transport {
  readonly #openai: OpenAI;
  readonly #idleTimeout: number;
  readonly #maxRetries: number;
  readonly #maxRetryWait: number;

  constructor(options: ResolvedOptions) {
    this.#idleTimeout = options.idleTimeout;
    this.#maxRetries = options.maxRetries;
    this.#maxRetryWait = options.maxRetryWait;
    this.#openai = createOpenAIClient(options);
  }

  /** A request answered with JSON. */
  request<T>(method: "get" | "post", path: string, body: unknown, options: RequestOptions = {}): APIPromise<T> {
    const scope = new AbortScope(options.signal);
    const idleTimeout = options.idleTimeout ?? this.#idleTimeout;
    const result = this.#send(method, path, body, scope, options)
      .then(async (response): Promise<WithResponse<T>> => {
        const data = await readJSON<T>(response, scope, idleTimeout);
        return { data, response, request_id: response.headers.get("x-request-id") };
      })
      .catch((error: unknown) => {
        throw toMercuryError(error);
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
    const idleTimeoutMs = options.idleTimeout ?? this.#idleTimeout;
    const headers = { Accept: "text/event-stream", ...options.headers };
    const result = this.#send("post", path, body, scope, { ...options, headers })
      .then((response) => {
        const payloads = readServerSentEvents(response, { scope, idleTimeoutMs });
        const stream = new CompletionStream(response, payloads, accumulator, scope);
        return { data: stream, response, request_id: response.headers.get("x-request-id") };
      })
      .catch((error: unknown) => {
        scope.release();
        throw toMercuryError(error);
      });
    return new APIPromise(result);
  }

  /**
   * Sends one attempt at a time through openai (timeout to headers, status errors) and retries here:
   * our waits end at once when the caller aborts, and a server asking for more than `maxRetryWait`
   * gets its error back instead of a client that hangs for an hour.
   */
  async #send(
    method: "get" | "post",
    path: string,
    body: unknown,
    scope: AbortScope,
    options: RequestOptions,
  ): Promise<Response> {
    const request = withoutUndefined({
      signal: scope.signal,
      // openai rejects an explicit `timeout: undefined`, so absent options must stay absent.
      timeout: options.timeout,
      maxRetries: 0,
      headers: options.headers,
      query: options.query,
      body: method === "post" ? { ...(body as object), ...options.extraBody } : undefined,
    });
    const maxRetries = options.maxRetries ?? this.#maxRetries;
    for (let retry = 0; ; retry++) {
      try {
        return await this.#openai[method](path, request).asResponse();
      } catch (raw) {
        const error = toMercuryError(raw);
        if (retry >= maxRetries || !isRetryable(error)) throw error;
        const delay = retryDelay(error, retry, options.maxRetryWait ?? this.#maxRetryWait);
        if (delay === undefined) throw error;
        await sleep(delay, scope.signal);
      }
    }
  }
}

function withoutUndefined<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, entry]) => entry !== undefined)) as Partial<T>;
}

/** The private openai client, told every setting explicitly. */
function createOpenAIClient(options: ResolvedOptions): OpenAI {
  if (isBrowser() && !options.dangerouslyAllowBrowser) {
    throw new MercuryError(
      "Refusing to run in a browser: an API key in a web page is visible to everyone who opens it. " +
        "Pass `dangerouslyAllowBrowser: true` if this page talks to your own server or a proxy.",
    );
  }
  return new OpenAI({
    // openai insists on a key; an empty one plus `Authorization: null` below sends none.
    apiKey: options.apiKey ?? "",
    baseURL: options.baseURL,
    timeout: options.timeout,
    maxRetries: 0, // retries are ours (see #send)
    // Explicit values, so that OPENAI_ORG_ID, OPENAI_PROJECT_ID and OPENAI_LOG are never read.
    organization: null,
    project: null,
    webhookSecret: null,
    logLevel: options.logLevel ?? "warn",
    logger: options.logger,
    fetch: wrapFetch(options.fetch ?? ((input, init) => globalThis.fetch(input, init)), options.idleTimeout),
    // We made the browser check above, with our own message.
    dangerouslyAllowBrowser: true,
    defaultHeaders: {
      "User-Agent": `anneal-sdk/${VERSION}`,
      ...(options.apiKey === undefined ? { Authorization: null } : {}),
      ...options.defaultHeaders,
    },
  });
}

function isBrowser(): boolean {
  const scope = globalThis as { window?: { document?: unknown } };
  return typeof scope.window === "object" && typeof scope.window.document === "object";
}
