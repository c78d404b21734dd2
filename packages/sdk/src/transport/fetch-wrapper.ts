// The fetch that the private openai client uses: drops OpenAI's telemetry headers and keeps error bodies whole.
import type { Fetch } from "../client-options";
import { readBodyText } from "../streaming/body-reader";
import { errorBodies } from "./openai-errors";

/**
 * openai parses only `body.error` out of an error response, so a body like `{"detail": …}` or a
 * plain-text page would be lost; we read failed responses here and keep them. A failed response whose
 * body stalls is read only until the idle timeout: its status still reaches the caller at once.
 */
export function wrapFetch(fetchImpl: Fetch, idleTimeoutMs: number): Fetch {
  return async (input, init) => {
    const headers = new Headers(init?.headers);
    for (const name of [...headers.keys()]) {
      if (name.startsWith("x-stainless-")) headers.delete(name);
    }
    const response = await fetchImpl(input, { ...init, headers });
    if (response.ok) return response;
    const text = await readBodyText(response, idleTimeoutMs, () => "keep");
    const whole = new Response(text, {
      status: response.status,
      statusText: response.statusText,
      headers: response.headers,
    });
    errorBodies.set(whole.headers, parseErrorBody(text));
    return whole;
  };
}

function parseErrorBody(text: string): unknown {
  if (!text) return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}
