// msw server and helpers for the SDK's HTTP tests: fixtures from files, SSE bodies with pacing and cancel hooks.
import { HttpResponse, http } from "msw";
import { setupServer } from "msw/node";
import { afterAll, afterEach, beforeAll } from "vitest";
import { Mercury, type MercuryOptions } from "../../src/index";
import { sseFrames } from "./sse-frames";

export { fixtureJSON, fixtureText } from "./fixtures";
export { sseFrames } from "./sse-frames";

export const BASE_URL = "http://mercury.test/v1";
export const server = setupServer();

/** Starts msw for the calling test file; unhandled requests fail the test. */
export function useMockApi(): void {
  beforeAll(() => server.listen({ onUnhandledRequest: "error" }));
  afterEach(() => server.resetHandlers());
  afterAll(() => server.close());
}

export function makeClient(options: MercuryOptions = {}): Mercury {
  return new Mercury({ baseURL: BASE_URL, apiKey: "sk_test", maxRetries: 0, ...options });
}

export interface SSEOptions {
  /** Pause before each frame. */
  delayMs?: number;
  /** Send this many frames, then keep the connection open without sending more. */
  stallAfter?: number;
  /** Text (e.g. keep-alive comments) sent every `intervalMs` while stalled. */
  whileStalled?: { text: string; intervalMs: number };
  /** Called when the client cancels the body (break, abort). */
  onCancel?: () => void;
  headers?: Record<string, string>;
}

/** An event-stream response that sends `text` frame by frame. */
export function sseResponse(text: string, options: SSEOptions = {}): HttpResponse<ReadableStream> {
  const frames = sseFrames(text);
  const encoder = new TextEncoder();
  let timer: ReturnType<typeof setInterval> | undefined;
  const body = new ReadableStream<Uint8Array>({
    async start(controller) {
      for (const [index, frame] of frames.entries()) {
        if (options.stallAfter !== undefined && index >= options.stallAfter) {
          const stalled = options.whileStalled;
          if (stalled) timer = setInterval(() => controller.enqueue(encoder.encode(stalled.text)), stalled.intervalMs);
          return;
        }
        if (options.delayMs) await new Promise((resolve) => setTimeout(resolve, options.delayMs));
        controller.enqueue(encoder.encode(frame));
      }
      controller.close();
    },
    cancel() {
      if (timer) clearInterval(timer);
      options.onCancel?.();
    },
  });
  return new HttpResponse(body, {
    headers: { "content-type": "text/event-stream", "x-request-id": "req_stream_1", ...options.headers },
  });
}

/** Collects every item of an async iterable. */
export async function collect<T>(iterable: AsyncIterable<T>): Promise<T[]> {
  const items: T[] = [];
  for await (const item of iterable) items.push(item);
  return items;
}

/** Answers POSTs to `path` (under BASE_URL) with `respond`, and returns the JSON bodies it receives. */
export function answerPosts<Body = Record<string, unknown>>(path: string, respond: () => Response): Body[] {
  const bodies: Body[] = [];
  server.use(
    http.post(`${BASE_URL}${path}`, async ({ request }) => {
      bodies.push((await request.json()) as Body);
      return respond();
    }),
  );
  return bodies;
}
