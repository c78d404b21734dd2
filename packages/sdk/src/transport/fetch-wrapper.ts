// The fetch that the private openai client uses: drops OpenAI's telemetry headers and keeps error bodies whole.
import type { Fetch } from "../client-options";
import { errorBodies } from "./openai-errors";

/**
 * openai parses only `body.error` out of an error response, so a body like `{"detail": …}` or a
 * plain-text page would be lost; we read failed responses here (they are small) and keep them.
 */
export function wrapFetch(fetchImpl: Fetch): Fetch {
  return async (input, init) => {
    const headers = new Headers(init?.headers);
    for (const name of [...headers.keys()]) {
      if (name.startsWith("x-stainless-")) headers.delete(name);
    }
    const response = await fetchImpl(input, { ...init, headers });
    if (!response.ok) errorBodies.set(response.headers, await readErrorBody(response.clone()));
    return response;
  };
}

async function readErrorBody(response: Response): Promise<unknown> {
  const text = await response.text().catch(() => "");
  if (!text) return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}
