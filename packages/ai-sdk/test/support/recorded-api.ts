// msw answers for the provider's tests: a chat completion, or an SSE body made of the given chunks,
// and a log of the JSON bodies the provider sent.
import { HttpResponse, http } from "msw";
import { BASE_URL, server } from "../../../sdk/test/support/mock-api";

// The SDK's msw server and its set-up: the provider speaks through the SDK, to the same stand-in.
export { BASE_URL, server, useMockApi as useRecordedApi } from "../../../sdk/test/support/mock-api";

/** Answers POSTs to `path` with `answer()`, recording each request body. */
export function answer(path: string, respond: () => Response): Record<string, unknown>[] {
  const bodies: Record<string, unknown>[] = [];
  server.use(
    http.post(`${BASE_URL}${path}`, async ({ request }) => {
      bodies.push((await request.json()) as Record<string, unknown>);
      return respond();
    }),
  );
  return bodies;
}

/** An event stream of these payloads, then [DONE]. */
export function sse(...payloads: unknown[]): Response {
  const text = `${payloads.map((p) => `data: ${typeof p === "string" ? p : JSON.stringify(p)}\n\n`).join("")}data: [DONE]\n\n`;
  return new HttpResponse(text, { headers: { "content-type": "text/event-stream", "x-request-id": "req_stream" } });
}

export const json = (body: unknown, init?: ResponseInit) => HttpResponse.json(body as Record<string, unknown>, init);

const base = { id: "chatcmpl-1", object: "chat.completion.chunk", created: 1767225600, model: "mercury-2" };

/** A chat chunk with this delta (and finish reason). */
export function chunk(
  delta: Record<string, unknown>,
  finish: string | null = null,
  extra: Record<string, unknown> = {},
) {
  return { ...base, choices: [{ index: 0, delta, finish_reason: finish }], ...extra };
}

export const usage = {
  prompt_tokens: 20,
  completion_tokens: 12,
  total_tokens: 32,
  reasoning_tokens: 4,
  cached_input_tokens: 5,
  forward_passes: 6,
  tokens_per_forward: 2,
};

export function usageChunk() {
  return { ...base, choices: [], usage };
}
