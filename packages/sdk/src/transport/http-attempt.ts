// One HTTP attempt over fetch: the URL, the headers, a timeout until the response headers arrive, and
// every failure turned into this SDK's error classes (a failed response keeps its whole body).
import type { Fetch, ResolvedOptions } from "../client-options";
import { APIConnectionError, APIConnectionTimeoutError, APIError } from "../errors";
import { readBodyText } from "../streaming/body-reader";
import { VERSION } from "../version";
import type { AbortScope } from "./abort-scope";
import type { RequestLog } from "./request-log";

export type HeaderValues = Record<string, string | null | undefined>;

export interface Attempt {
  method: "GET" | "POST";
  path: string;
  query?: Record<string, string | undefined> | undefined;
  body?: unknown;
  headers?: HeaderValues | undefined;
  /** Milliseconds until the response headers arrive. */
  timeout: number;
}

export class HttpAttempts {
  readonly #options: ResolvedOptions;
  readonly #fetch: Fetch;
  readonly #log: RequestLog;

  constructor(options: ResolvedOptions, log: RequestLog) {
    this.#options = options;
    this.#fetch = options.fetch ?? ((input, init) => globalThis.fetch(input, init));
    this.#log = log;
  }

  /** Sends once; resolves with a 2xx response, or throws an `APIError` (subclass) for anything else. */
  async send(attempt: Attempt, scope: AbortScope): Promise<Response> {
    const url = this.#url(attempt);
    const headers = this.#headers(attempt);
    // The attempt's own controller: the caller's abort reaches it, and so does the header timeout.
    const controller = new AbortController();
    const forward = () => controller.abort(scope.signal.reason);
    if (scope.signal.aborted) throw scope.signal.reason;
    scope.signal.addEventListener("abort", forward, { once: true });
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      controller.abort();
    }, attempt.timeout);
    const started = Date.now();
    this.#log.request(attempt.method, url, headers);
    let response: Response;
    try {
      response = await this.#fetch(url, {
        method: attempt.method,
        headers,
        signal: controller.signal,
        ...(attempt.body === undefined ? {} : { body: JSON.stringify(attempt.body) }),
      });
    } catch (cause) {
      scope.signal.removeEventListener("abort", forward);
      if (scope.signal.aborted) throw scope.signal.reason;
      if (timedOut) throw new APIConnectionTimeoutError();
      throw new APIConnectionError({ message: connectionMessage(cause), cause });
    } finally {
      clearTimeout(timer);
    }
    this.#log.response(attempt.method, url, response.status, Date.now() - started);
    if (response.ok) return response;
    scope.signal.removeEventListener("abort", forward);
    // A failed response whose body stalls is read only until the idle timeout: its status still counts.
    const text = await readBodyText(response, this.#options.idleTimeout, () => "keep", scope.aborted());
    throw APIError.fromResponse(response.status, response.headers, parseErrorBody(text));
  }

  #url(attempt: Attempt): string {
    const path = attempt.path.startsWith("/") ? attempt.path : `/${attempt.path}`;
    const url = new URL(`${this.#options.baseURL}${path}`);
    for (const [name, value] of Object.entries(attempt.query ?? {})) {
      if (value !== undefined) url.searchParams.set(name, value);
    }
    return url.toString();
  }

  /** Ours, then the client's defaults, then the call's; a `null` removes a header set before it. */
  #headers(attempt: Attempt): Headers {
    const headers = new Headers({ Accept: "application/json", "User-Agent": `anneal-sdk/${VERSION}` });
    if (attempt.body !== undefined) headers.set("Content-Type", "application/json");
    if (this.#options.apiKey !== undefined) headers.set("Authorization", `Bearer ${this.#options.apiKey}`);
    for (const layer of [this.#options.defaultHeaders, attempt.headers]) {
      for (const [name, value] of Object.entries(layer ?? {})) {
        if (value === null) headers.delete(name);
        else if (value !== undefined) headers.set(name, value);
      }
    }
    return headers;
  }
}

function parseErrorBody(text: string): unknown {
  if (!text) return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

/** `fetch failed` alone says nothing; the cause (ECONNREFUSED, ENOTFOUND…) says what happened. */
function connectionMessage(error: unknown): string {
  const failure = error as { message?: string; cause?: { code?: string; message?: string } } | undefined;
  const detail = failure?.cause?.code ?? failure?.cause?.message ?? failure?.message;
  return detail && detail !== "fetch failed" ? `Connection error: ${detail}` : "Connection error.";
}
