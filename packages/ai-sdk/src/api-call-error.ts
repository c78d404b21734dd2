// The SDK's errors as the AI SDK's: a failed call becomes an APICallError with its status, headers,
// body and whether a retry may help, by the SDK's own rule (the AI SDK does the retrying; the client
// underneath does none).
import { APICallError } from "@ai-sdk/provider";
import { APIError, APIUserAbortError, isRetryable } from "@anneal/sdk";

export function toAISDKError(error: unknown, url: string, body: unknown): unknown {
  if (error instanceof APIUserAbortError) {
    // The AI SDK recognises an abort by its name.
    return Object.assign(new Error(error.message, { cause: error }), { name: "AbortError" });
  }
  if (!(error instanceof APIError)) return error;
  const status = error.status;
  return new APICallError({
    message: error.message,
    url,
    requestBodyValues: body,
    ...(status !== undefined ? { statusCode: status } : {}),
    ...(error.headers ? { responseHeaders: Object.fromEntries(error.headers) } : {}),
    ...(error.body !== undefined
      ? { responseBody: typeof error.body === "string" ? error.body : JSON.stringify(error.body) }
      : {}),
    cause: error,
    isRetryable: isRetryable(error),
    data: error.error,
  });
}
