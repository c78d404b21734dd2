// The `anneal` command's exit codes (documented in the README) and the one-line message for each failure.
import {
  APIConnectionError,
  APIError,
  APIUserAbortError,
  AuthenticationError,
  PermissionDeniedError,
  RateLimitError,
  ServiceUnavailableError,
} from "@anneal/sdk";

export const EXIT = {
  ok: 0,
  /** The API answered with an error, or the answer could not be used. */
  failure: 1,
  /** Bad flags, arguments or files. */
  usage: 2,
  /** 401/403: the key is missing or wrong. */
  auth: 3,
  /** 429 (rate limited) or 503 (server overloaded): try again later. */
  rateLimited: 4,
  /** The server could not be reached. */
  connection: 5,
  /** Ctrl+C. */
  interrupted: 130,
} as const;

/** A problem with how the command was called: printed as one line, exit code 2. */
export class UsageError extends Error {}

/** The API answered, but the answer cannot be used (e.g. an apply edit that is no merge): exit code 1. */
export class UnusableAnswerError extends Error {}

/** Where the failed call went: the API root, and whether a key was sent (for an unreachable server). */
export interface Target {
  baseURL: string;
  hasKey: boolean;
}

export function describeFailure(error: unknown, target?: Target): { message: string; code: number } {
  if (error instanceof UsageError) return { message: error.message, code: EXIT.usage };
  if (error instanceof AuthenticationError || error instanceof PermissionDeniedError) {
    return {
      message: `${error.message} — set INCEPTION_API_KEY or run \`anneal config set api-key <key>\``,
      code: EXIT.auth,
    };
  }
  if (error instanceof RateLimitError || error instanceof ServiceUnavailableError) {
    const wait = error.retryAfterMs !== undefined ? ` (retry in ${Math.ceil(error.retryAfterMs / 1000)} s)` : "";
    const what = error instanceof RateLimitError ? "rate limited" : "server busy";
    return { message: `${what}${wait}: ${error.message}`, code: EXIT.rateLimited };
  }
  if (error instanceof APIUserAbortError) return { message: "interrupted", code: EXIT.interrupted };
  if (error instanceof APIConnectionError) {
    const noKey =
      target && !target.hasKey ? " (and no API key is set: INCEPTION_API_KEY or `anneal config set api-key`)" : "";
    return {
      message: `cannot reach ${target?.baseURL ?? "the server"}: ${error.message}${noKey}`,
      code: EXIT.connection,
    };
  }
  if (error instanceof APIError) return { message: `server error: ${error.message}`, code: EXIT.failure };
  return { message: error instanceof Error ? error.message : String(error), code: EXIT.failure };
}
