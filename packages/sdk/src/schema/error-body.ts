// The error body every endpoint returns, OpenAI style, including Mercury's list-of-problems form.
import { z } from "zod";

/** One validation problem, pydantic style: `loc` is the path to the bad field. */
export const ValidationIssueSchema = z.object({
  loc: z.array(z.union([z.string(), z.number()])),
  msg: z.string(),
  type: z.string().optional(),
  input: z.unknown().optional(),
  ctx: z.record(z.string(), z.unknown()).optional(),
});

/**
 * The error codes of Inception's API (July 2026), each with its status: 400 `context_length_exceeded`,
 * 401 `invalid_api_key`, 402 `account_error`, 404 `model_not_found`, 429 `rate_limit_reached`,
 * 500 `server_error`, 503 `overloaded`.
 */
export const MercuryErrorCodeSchema = z.enum([
  "context_length_exceeded",
  "invalid_api_key",
  "account_error",
  "model_not_found",
  "rate_limit_reached",
  "server_error",
  "overloaded",
]);

/**
 * Anneal extension: the codes Anneal's server adds for cases the contract names none for — a request
 * that fails validation (400), an unknown route (404), a request that is not JSON (415), too large
 * (413), not valid HTTP or too slow to arrive (400/431, 408), a JSON answer that does not match
 * `response_format` (422), a generation past the time limit (504), a model still loading or a server
 * shutting down (503), and a client that left (499, written to logs only).
 */
export const AnnealErrorCodeSchema = z.enum([
  "invalid_request",
  "not_found",
  "unsupported_media_type",
  "payload_too_large",
  "bad_http",
  "bad_url",
  "request_timeout",
  "invalid_output",
  "timeout",
  "loading",
  "shutting_down",
  "client_closed",
]);

export const ErrorCodeSchema = z.union([MercuryErrorCodeSchema, AnnealErrorCodeSchema]);

/** What any server may send: codes are open (a newer API may add some). */
export const ErrorObjectSchema = z.object({
  message: z.union([z.string(), z.array(ValidationIssueSchema)]),
  type: z.string().nullish(),
  param: z.string().nullish(),
  code: z.union([z.string(), z.number()]).nullish(),
});

/** `{"error": {...}}`: the body of a 4xx/5xx response and of an error frame inside a stream. */
export const ErrorBodySchema = z.object({ error: ErrorObjectSchema });

/** The closed form Anneal's server sends: every field present, the code one the contract or Anneal names. */
export const AnnealErrorBodySchema = z.object({
  error: z.object({
    message: z.string(),
    type: z.string(),
    param: z.string().nullable(),
    code: ErrorCodeSchema.nullable(),
  }),
});

export type ValidationIssue = z.infer<typeof ValidationIssueSchema>;
export type MercuryErrorCode = z.infer<typeof MercuryErrorCodeSchema>;
export type AnnealErrorCode = z.infer<typeof AnnealErrorCodeSchema>;
export type ErrorCode = z.infer<typeof ErrorCodeSchema>;
export type ErrorObject = z.infer<typeof ErrorObjectSchema>;
export type ErrorBody = z.infer<typeof ErrorBodySchema>;
export type AnnealErrorBody = z.infer<typeof AnnealErrorBodySchema>;
