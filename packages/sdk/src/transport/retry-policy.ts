// When a failed attempt is tried again, and after how long: the server's retry-after(-ms) when it
// gives one (up to a cap), else exponential backoff with jitter. Waits end at once on abort.
import { APIConnectionError, APIError, APIUserAbortError } from "../errors";
import { retryAfterMs } from "./retry-after";

/**
 * Whether trying the call again may help: connection failures, 408, 409, 429 and 5xx, unless the
 * server says otherwise in `x-should-retry`. The client's own retries use it; so can a caller's.
 */
export function isRetryable(error: unknown): boolean {
  if (error instanceof APIUserAbortError) return false;
  if (error instanceof APIConnectionError) return true;
  if (!(error instanceof APIError) || error.status === undefined) return false;
  const told = error.headers?.get("x-should-retry");
  if (told === "true") return true;
  if (told === "false") return false;
  return error.status === 408 || error.status === 409 || error.status === 429 || error.status >= 500;
}

/** Milliseconds to wait before retry number `retry` (0-based), or undefined when the server asks for more than `cap`. */
export function retryDelay(error: unknown, retry: number, cap: number): number | undefined {
  const asked = error instanceof APIError ? retryAfterMs(error.headers) : undefined;
  if (asked !== undefined) return asked <= cap ? asked : undefined;
  const backoff = Math.min(0.5 * 2 ** retry, 8) * (1 - Math.random() * 0.25) * 1000;
  return Math.min(backoff, cap);
}

/** Resolves after `ms`, or rejects with the abort reason as soon as `signal` aborts. */
export function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(signal.reason);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal.reason);
    };
    const timer = setTimeout(() => {
      signal.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    signal.addEventListener("abort", onAbort, { once: true });
  });
}
