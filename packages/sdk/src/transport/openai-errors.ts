// Turns the `openai` package's errors into this SDK's error classes, keeping status, headers and body.
import OpenAI from "openai";
import {
  APIConnectionError,
  APIConnectionTimeoutError,
  APIError,
  APIUserAbortError,
  MalformedResponseError,
  MercuryError,
} from "../errors";

/** Error bodies read by our fetch wrapper, keyed by the response's Headers object (openai hands that to its errors). */
export const errorBodies = new WeakMap<Headers, unknown>();

export function toMercuryError(error: unknown): unknown {
  if (error instanceof MercuryError) return error;
  if (error instanceof OpenAI.APIUserAbortError) return new APIUserAbortError();
  if (error instanceof OpenAI.APIConnectionTimeoutError) return new APIConnectionTimeoutError();
  if (error instanceof OpenAI.APIConnectionError) {
    return new APIConnectionError({ message: connectionMessage(error), cause: error.cause });
  }
  if (error instanceof OpenAI.APIError && error.status !== undefined && error.headers) {
    const body = errorBodies.has(error.headers) ? errorBodies.get(error.headers) : error.error;
    return APIError.fromResponse(error.status, error.headers, body);
  }
  if (error instanceof SyntaxError) return new MalformedResponseError({ message: error.message, cause: error });
  return error;
}

/** `fetch failed` alone says nothing; the cause (ECONNREFUSED, ENOTFOUND…) says what happened. */
function connectionMessage(error: InstanceType<typeof OpenAI.APIConnectionError>): string {
  const cause = error.cause as { message?: string; cause?: { code?: string; message?: string } } | undefined;
  const detail = cause?.cause?.code ?? cause?.cause?.message ?? cause?.message;
  return detail && detail !== "fetch failed" ? `Connection error: ${detail}` : "Connection error.";
}
