// Reads a non-streaming JSON response body, bounded by the idle timeout (the server's silence, not
// the body's total time) and the caller's signal.
import { MalformedResponseError, StreamIdleTimeoutError } from "../errors";
import { readBodyText } from "../streaming/body-reader";
import type { AbortScope } from "./abort-scope";

export async function readJSON<T>(response: Response, scope: AbortScope, idleTimeoutMs: number): Promise<T> {
  const onIdle = (): never => {
    const error = new StreamIdleTimeoutError(idleTimeoutMs);
    scope.abort(error);
    throw error;
  };
  const text = await readBodyText(response, idleTimeoutMs, onIdle, scope.aborted());
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch {
    throw malformed(response, `The response was not JSON: ${text.slice(0, 200) || "(empty body)"}`);
  }
  if (typeof data !== "object" || data === null) {
    throw malformed(response, `The response was not a JSON object: ${text.slice(0, 200)}`);
  }
  // Like openai's `_request_id`: there when wanted, invisible to JSON.stringify and spreads.
  Object.defineProperty(data, "_request_id", {
    value: response.headers.get("x-request-id"),
    enumerable: false,
  });
  return data as T;
}

function malformed(response: Response, message: string): MalformedResponseError {
  return new MalformedResponseError({ status: response.status, headers: response.headers, message });
}
