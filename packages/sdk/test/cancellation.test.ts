// Cancelling a stream really closes the connection: checked on a real loopback socket.
import { afterEach, describe, expect, it } from "vitest";
import { APIUserAbortError, Mercury, StreamIdleTimeoutError } from "../src/index";
import { fixtureText } from "./support/fixtures";
import { type LoopbackServer, stallingStream, startLoopbackServer } from "./support/loopback-server";
import { sseFrames } from "./support/sse-frames";

const params = { model: "mercury-2", messages: [{ role: "user" as const, content: "hi" }], stream: true as const };
const firstFrame = sseFrames(fixtureText("chat-stream.sse")).slice(0, 1);

let server: LoopbackServer | undefined;
afterEach(async () => server?.close());

async function stallingClient(options: { idleTimeout?: number } = {}): Promise<Mercury> {
  server = await startLoopbackServer(stallingStream(firstFrame));
  return new Mercury({ baseURL: server.baseURL, maxRetries: 0, ...options });
}

describe("closing the connection", () => {
  it("breaking out of for-await closes it", async () => {
    const stream = await (await stallingClient()).chat.completions.create(params);
    for await (const _ of stream) break;
    await server?.clientClosed();
    expect(stream.controller.signal.aborted).toBe(true);
    await expect(stream.finalResponse()).rejects.toThrow(/not read to the end/);
  });

  it("aborting the signal mid-stream closes it and the loop throws APIUserAbortError", async () => {
    const controller = new AbortController();
    const stream = await (await stallingClient()).chat.completions.create(params, { signal: controller.signal });
    const seen: string[] = [];
    const reading = (async () => {
      for await (const chunk of stream) {
        seen.push(chunk.choices[0]?.delta.content ?? "");
        controller.abort();
      }
    })();
    await expect(reading).rejects.toBeInstanceOf(APIUserAbortError);
    expect(seen).toEqual(["They refine many token "]);
    await server?.clientClosed();
  });

  it("the idle timeout closes it", async () => {
    const stream = await (await stallingClient({ idleTimeout: 100 })).chat.completions.create(params);
    await expect(stream.finalText()).rejects.toBeInstanceOf(StreamIdleTimeoutError);
    await server?.clientClosed();
  });
});
