// Errors with an HTTP status and an OpenAI-style body: {"error": {message, type, param, code}}, the
// code one that Inception's contract or Anneal's extension names (`@anneal/sdk/schema`).
import type { AnnealErrorBody, ErrorCode } from "@anneal/sdk/schema";

export class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly type: string,
    readonly code: ErrorCode | null = null,
    readonly param: string | null = null,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }

  body(): AnnealErrorBody {
    return {
      error: { message: this.message, type: this.type, param: this.param, code: this.code },
    } satisfies AnnealErrorBody;
  }
}

export const badRequest = (message: string, param: string | null = null, code: ErrorCode = "invalid_request") =>
  new HttpError(400, message, "invalid_request_error", code, param);

export const notFound = (message: string, code: ErrorCode = "not_found") =>
  new HttpError(404, message, "invalid_request_error", code);

/** The engine cannot take more work now (queue full, no slot in time): 503 `overloaded`, retry shortly. */
export const overloaded = (message: string) =>
  new HttpError(503, message, "unavailable_error", "overloaded", null, { "retry-after": "1" });

/** Turns zod issues into one readable line and the first offending field. */
export function validationError(issues: { path: PropertyKey[]; message: string }[]): HttpError {
  const describe = (i: { path: PropertyKey[]; message: string }) =>
    `${i.path.map(String).join(".") || "body"}: ${i.message}`;
  const first = issues[0];
  return badRequest(
    issues.slice(0, 10).map(describe).join("; "),
    first ? first.path.map(String).join(".") || null : null,
  );
}

/** What a client hears while the server stops: retry elsewhere or shortly. */
export const shuttingDown = () =>
  new HttpError(503, "The server is shutting down; retry shortly.", "unavailable_error", "shutting_down", null, {
    "retry-after": "5",
  });
