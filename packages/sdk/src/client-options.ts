// Client options and how their defaults are found (explicit option, then INCEPTION_* variables, then Inception's API).
export type LogLevel = "off" | "error" | "warn" | "info" | "debug";

export interface Logger {
  error(message: string, ...rest: unknown[]): void;
  warn(message: string, ...rest: unknown[]): void;
  info(message: string, ...rest: unknown[]): void;
  debug(message: string, ...rest: unknown[]): void;
}

export type Fetch = (input: string | URL | Request, init?: RequestInit) => Promise<Response>;

export interface MercuryOptions {
  /** Bearer key. Defaults to `INCEPTION_API_KEY`; without one, no Authorization header is sent. */
  apiKey?: string | undefined;
  /**
   * API root including `/v1`. Defaults to `INCEPTION_BASE_URL`, else Inception's API.
   * A bare origin (`http://localhost:8000`) gets `/v1` appended, as the Python SDK does.
   */
  baseURL?: string | undefined;
  /** Milliseconds to wait for response headers, per attempt. Default 600 000 (10 minutes). */
  timeout?: number | undefined;
  /** Milliseconds a stream may go without a data event before it is closed. Default 60 000; 0 disables. */
  idleTimeout?: number | undefined;
  /** Retries on connection errors, 408, 409, 429 and 5xx, honouring `retry-after(-ms)`. Default 2. */
  maxRetries?: number | undefined;
  /**
   * The longest `retry-after` the client waits, in milliseconds. A server asking for more gets its
   * error thrown at once. Default 60 000. Every wait ends as soon as the request is aborted.
   */
  maxRetryWait?: number | undefined;
  /** A `fetch` implementation to use instead of the global one (proxies, tests, other runtimes). */
  fetch?: Fetch | undefined;
  /** Headers sent with every request; a `null` value removes a default header. */
  defaultHeaders?: Record<string, string | null | undefined> | undefined;
  /** Default `warn`. `debug` logs requests and responses with the key redacted. */
  logLevel?: LogLevel | undefined;
  /** Where log lines go. Default `console`. */
  logger?: Logger | undefined;
  /** Allow use from a browser page, where the key is visible to anyone who opens it. */
  dangerouslyAllowBrowser?: boolean | undefined;
}

export const INCEPTION_BASE_URL = "https://api.inceptionlabs.ai/v1";
export const DEFAULT_TIMEOUT_MS = 600_000;
export const DEFAULT_IDLE_TIMEOUT_MS = 60_000;
export const DEFAULT_MAX_RETRIES = 2;
export const DEFAULT_MAX_RETRY_WAIT_MS = 60_000;

export interface ResolvedOptions extends MercuryOptions {
  apiKey: string | undefined;
  baseURL: string;
  timeout: number;
  idleTimeout: number;
  maxRetries: number;
  maxRetryWait: number;
}

/** Fills in defaults. Never reads `OPENAI_*` variables: those belong to other clients. */
export function resolveOptions(options: MercuryOptions): ResolvedOptions {
  return {
    ...options,
    apiKey: options.apiKey ?? readEnv("INCEPTION_API_KEY"),
    baseURL: normalizeBaseURL(options.baseURL ?? readEnv("INCEPTION_BASE_URL") ?? INCEPTION_BASE_URL),
    timeout: options.timeout ?? DEFAULT_TIMEOUT_MS,
    idleTimeout: options.idleTimeout ?? DEFAULT_IDLE_TIMEOUT_MS,
    maxRetries: options.maxRetries ?? DEFAULT_MAX_RETRIES,
    maxRetryWait: options.maxRetryWait ?? DEFAULT_MAX_RETRY_WAIT_MS,
  };
}

/** Drops trailing slashes and adds `/v1` to a bare origin. */
export function normalizeBaseURL(baseURL: string): string {
  const trimmed = baseURL.trim().replace(/\/+$/, "");
  const url = new URL(trimmed);
  return url.pathname === "/" || url.pathname === "" ? `${trimmed}/v1` : trimmed;
}

/** Reads an environment variable where there is one (Node, Bun, Deno); browsers have none. */
function readEnv(name: string): string | undefined {
  const env = (globalThis as { process?: { env?: Record<string, string | undefined> } }).process?.env;
  const value = env?.[name]?.trim();
  return value ? value : undefined;
}
