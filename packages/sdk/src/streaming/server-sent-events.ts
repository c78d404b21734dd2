// Reads an SSE response into JSON payloads: stops at `[DONE]`, throws typed errors for error frames,
// broken frames, cut-off streams and idle streams.
import { createParser, type EventSourceMessage } from "eventsource-parser";
import {
  APIConnectionError,
  APIUserAbortError,
  MalformedResponseError,
  StreamError,
  StreamIdleTimeoutError,
} from "../errors";
import { type AbortScope, CONSUMER_DONE } from "../transport/abort-scope";
import { IdleTimer } from "./idle-timer";

export interface ReadEventsOptions {
  scope: AbortScope;
  /** Milliseconds of server silence allowed between data events; comments (keep-alives) do not count, nor does time the consumer spends between reads. */
  idleTimeoutMs: number;
}

/** Yields each `data:` payload parsed as JSON until `[DONE]`. */
export async function* readServerSentEvents(
  response: Response,
  { scope, idleTimeoutMs }: ReadEventsOptions,
): AsyncGenerator<unknown, void, undefined> {
  await assertEventStream(response);
  const reader = (response.body as ReadableStream<Uint8Array>).getReader();
  const decoder = new TextDecoder();
  const pending: EventSourceMessage[] = [];
  const parser = createParser({ onEvent: (event) => pending.push(event) });
  const idle = new IdleTimer(idleTimeoutMs, () => scope.abort(new StreamIdleTimeoutError(idleTimeoutMs)));
  const aborted = scope.aborted();
  let sawDone = false;

  try {
    idle.restart();
    while (!sawDone) {
      const { value, done } = await Promise.race([reader.read(), aborted]);
      if (done) break;
      parser.feed(decoder.decode(value, { stream: true }));
      while (pending.length > 0 && !sawDone) {
        const event = pending.shift() as EventSourceMessage;
        idle.restart();
        if (event.data.trim() === "[DONE]") sawDone = true;
        else {
          const payload = parsePayload(event, response);
          // While the caller handles this payload, the server is not the one being slow.
          idle.pause();
          yield payload;
          idle.resume();
        }
      }
    }
    if (!sawDone) {
      throw new MalformedResponseError({
        status: response.status,
        headers: response.headers,
        message: "The stream ended before [DONE]; the response is incomplete.",
      });
    }
  } catch (error) {
    throw readFailure(error, scope);
  } finally {
    idle.stop();
    if (!sawDone && !scope.signal.aborted) scope.abort(CONSUMER_DONE);
    reader.cancel().catch(() => {});
    scope.release();
  }
}

/** A stream request answered with JSON or HTML is a server problem worth naming, not an empty stream. */
async function assertEventStream(response: Response): Promise<void> {
  const type = response.headers.get("content-type") ?? "";
  if (response.body && (type === "" || type.includes("text/event-stream"))) return;
  const text = await response.text().catch(() => "");
  throw new MalformedResponseError({
    status: response.status,
    headers: response.headers,
    message: `Expected an event stream but got ${type || "no body"}: ${text.slice(0, 200)}`,
  });
}

function parsePayload(event: EventSourceMessage, response: Response): unknown {
  let payload: unknown;
  try {
    payload = JSON.parse(event.data);
  } catch {
    throw new MalformedResponseError({
      headers: response.headers,
      message: `Could not parse a stream frame as JSON: ${event.data.slice(0, 200)}`,
    });
  }
  if (typeof payload !== "object" || payload === null || Array.isArray(payload)) {
    throw new MalformedResponseError({
      headers: response.headers,
      message: `A stream frame was not a JSON object: ${event.data.slice(0, 200)}`,
    });
  }
  if (event.event === "error" || isErrorPayload(payload as Record<string, unknown>)) {
    throw new StreamError({ status: statusOf(payload), headers: response.headers, body: payload });
  }
  return payload;
}

/** `{"error": {...}}` (OpenAI style) or a bare `{"message": ...}` without `choices` (seen from Mercury). */
function isErrorPayload(payload: Record<string, unknown>): boolean {
  if (payload.error !== undefined && payload.error !== null) return true;
  return !("choices" in payload) && "message" in payload;
}

/** An HTTP-like status carried in the error frame, if any. */
function statusOf(payload: object): number | undefined {
  const record = payload as Record<string, unknown>;
  const error = (typeof record.error === "object" && record.error) || record;
  for (const value of [
    record.status,
    (error as Record<string, unknown>).status,
    (error as Record<string, unknown>).code,
  ]) {
    const status = Number(value);
    if (Number.isInteger(status) && status >= 400 && status < 600) return status;
  }
  return undefined;
}

/** Maps what interrupted the read onto the SDK's errors. */
function readFailure(error: unknown, scope: AbortScope): unknown {
  if (error instanceof StreamError || error instanceof MalformedResponseError) return error;
  const reason: unknown = scope.signal.aborted ? scope.signal.reason : undefined;
  if (reason instanceof StreamIdleTimeoutError || reason instanceof APIUserAbortError) return reason;
  if (scope.signal.aborted) return new APIUserAbortError();
  return new APIConnectionError({ message: "The connection failed while streaming.", cause: error });
}
