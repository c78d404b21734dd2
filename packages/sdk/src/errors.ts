// The SDK's error tree: one class per HTTP status, plus connection, timeout, abort and stream failures.
import type { ErrorCode, ValidationIssue } from "./schema/error-body";
import { retryAfterMs } from "./transport/retry-after";

/** Base of every error this SDK throws. */
export class MercuryError extends Error {
  override name = "MercuryError";
}

interface APIErrorInit {
  status?: number | undefined;
  headers?: Headers | undefined;
  /** The parsed JSON body, or its text when it was not JSON. */
  body?: unknown;
  /** Used when the body has no message of its own. */
  message?: string | undefined;
  cause?: unknown;
}

/** A failed API call. `error` is the server's `{"error": {...}}` object when it sent one. */
export class APIError extends MercuryError {
  override name = "APIError";
  readonly status: number | undefined;
  readonly headers: Headers | undefined;
  readonly body: unknown;
  readonly error: Record<string, unknown> | undefined;
  /** One of the contract's codes (`model_not_found`, `rate_limit_reached`…) or Anneal's; open to new ones. */
  readonly code: ErrorCode | (string & {}) | number | null | undefined;
  readonly param: string | null | undefined;
  readonly type: string | null | undefined;
  /** The server's `x-request-id`, for support requests and logs. */
  readonly requestID: string | null | undefined;
  /** Validation problems, when the server sent `error.message` as a list (pydantic style). */
  readonly issues: ValidationIssue[] | undefined;

  constructor({ status, headers, body, message, cause }: APIErrorInit = {}) {
    const error = errorObjectOf(body);
    const issues = Array.isArray(error?.message) ? (error.message as ValidationIssue[]) : undefined;
    super(formatMessage(status, error, body, message), cause === undefined ? undefined : { cause });
    this.status = status;
    this.headers = headers;
    this.body = body;
    this.error = error;
    this.code = error?.code as APIError["code"];
    this.param = error?.param as APIError["param"];
    this.type = error?.type as APIError["type"];
    this.requestID = headers?.get("x-request-id");
    this.issues = issues;
  }

  /** How long the server asked us to wait before trying again, in milliseconds, when it said. */
  get retryAfterMs(): number | undefined {
    return retryAfterMs(this.headers);
  }

  /** Builds the subclass that matches `status`. */
  static fromResponse(status: number, headers: Headers, body: unknown): APIError {
    const init = { status, headers, body };
    const ErrorClass = STATUS_CLASSES[status];
    if (ErrorClass) return new ErrorClass(init);
    if (status >= 500) return new InternalServerError(init);
    return new APIError(init);
  }
}

export class BadRequestError extends APIError {
  override name = "BadRequestError";
}
export class AuthenticationError extends APIError {
  override name = "AuthenticationError";
}
/** 402: the account is out of credit. */
export class PaymentRequiredError extends APIError {
  override name = "PaymentRequiredError";
}
export class PermissionDeniedError extends APIError {
  override name = "PermissionDeniedError";
}
export class NotFoundError extends APIError {
  override name = "NotFoundError";
}
export class ConflictError extends APIError {
  override name = "ConflictError";
}
export class UnprocessableEntityError extends APIError {
  override name = "UnprocessableEntityError";
}
/** 429 `rate_limit_reached`: the account's rate limit; `retryAfterMs` says when to try again. */
export class RateLimitError extends APIError {
  override name = "RateLimitError";
}
/** Any 5xx. */
export class InternalServerError extends APIError {
  override name = "InternalServerError";
}
/** 503 `overloaded`: the engine has no room now; try again shortly (`retryAfterMs` when the server said). */
export class ServiceUnavailableError extends InternalServerError {
  override name = "ServiceUnavailableError";
}

/** The server reported an error inside a stream that had already started; earlier chunks stand. */
export class StreamError extends APIError {
  override name = "StreamError";
}

/** The response could not be read: not JSON, a broken SSE frame, or a stream cut before `[DONE]`. */
export class MalformedResponseError extends APIError {
  override name = "MalformedResponseError";
}

export class APIConnectionError extends APIError {
  override name = "APIConnectionError";
  constructor({ message, cause }: { message?: string; cause?: unknown } = {}) {
    super({ message: message ?? "Connection error.", cause });
  }
}

export class APIConnectionTimeoutError extends APIConnectionError {
  override name = "APIConnectionTimeoutError";
  constructor({ message }: { message?: string } = {}) {
    super({ message: message ?? "Request timed out." });
  }
}

/** No data event arrived on a stream for `idleTimeout` ms (keep-alive comments do not count). */
export class StreamIdleTimeoutError extends APIConnectionTimeoutError {
  override name = "StreamIdleTimeoutError";
  constructor(idleTimeoutMs: number) {
    super({ message: `No data received for ${idleTimeoutMs} ms; the stream was closed.` });
  }
}

/** The caller aborted the request (signal, `stream.abort()`). */
export class APIUserAbortError extends APIError {
  override name = "APIUserAbortError";
  constructor({ message }: { message?: string } = {}) {
    super({ message: message ?? "Request was aborted." });
  }
}

const STATUS_CLASSES: Record<number, new (init: APIErrorInit) => APIError> = {
  400: BadRequestError,
  401: AuthenticationError,
  402: PaymentRequiredError,
  403: PermissionDeniedError,
  404: NotFoundError,
  409: ConflictError,
  422: UnprocessableEntityError,
  429: RateLimitError,
  503: ServiceUnavailableError,
};

/** `{"error": {...}}` as sent by OpenAI-style servers, or a bare `{"message": ...}` object. */
function errorObjectOf(body: unknown): Record<string, unknown> | undefined {
  if (!isRecord(body)) return undefined;
  if (isRecord(body.error)) return body.error;
  if (typeof body.error === "string") return { message: body.error };
  if ("message" in body) return body;
  return undefined;
}

function formatMessage(
  status: number | undefined,
  error: Record<string, unknown> | undefined,
  body: unknown,
  fallback: string | undefined,
): string {
  const text = describe(error?.message) ?? describe(body) ?? fallback;
  if (status && text) return `${status} ${text}`;
  if (status) return `${status} status code (no body)`;
  return text ?? "(no status code or body)";
}

/** Renders a message, a list of validation problems (`field: problem`) or a short text body. */
function describe(value: unknown): string | undefined {
  if (typeof value === "string") return value.trim() ? truncate(value.trim()) : undefined;
  if (Array.isArray(value)) return value.map(describeIssue).join("; ");
  if (isRecord(value)) return truncate(JSON.stringify(value));
  return undefined;
}

function describeIssue(issue: unknown): string {
  if (!isRecord(issue)) return String(issue);
  const loc = Array.isArray(issue.loc) ? issue.loc : [];
  const field = loc.at(-1);
  const msg = typeof issue.msg === "string" ? issue.msg : JSON.stringify(issue);
  return field === undefined ? msg : `${field}: ${msg}`;
}

function truncate(text: string): string {
  return text.length > 500 ? `${text.slice(0, 500)}…` : text;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
