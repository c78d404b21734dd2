// Cancellation before headers, by stream.abort() and after [DONE]; socket-level closing is in cancellation.test.ts.
import { HttpResponse, http } from "msw";
import { describe, expect, it } from "vitest";
import { APIConnectionTimeoutError, APIUserAbortError } from "../src/index";
import {
  BASE_URL,
  collect,
  fixtureJSON,
  fixtureText,
  makeClient,
  server,
  sseResponse,
  useMockApi,
} from "./support/mock-api";

useMockApi();

const params = { model: "mercury-2", messages: [{ role: "user" as const, content: "hi" }] };
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe("aborting", () => {
  it("before the response headers rejects with APIUserAbortError", async () => {
    server.use(
      http.post(`${BASE_URL}/chat/completions`, async () => {
        await sleep(500);
        return HttpResponse.json(fixtureJSON("chat-completion.json"));
      }),
    );
    const controller = new AbortController();
    const call = makeClient().chat.completions.create(params, { signal: controller.signal });
    setTimeout(() => controller.abort(), 20);
    await expect(call).rejects.toBeInstanceOf(APIUserAbortError);
  });

  it("with an already-aborted signal never sends the request", async () => {
    let requests = 0;
    server.use(
      http.post(`${BASE_URL}/chat/completions`, () => {
        requests++;
        return HttpResponse.json(fixtureJSON("chat-completion.json"));
      }),
    );
    const call = makeClient().chat.completions.create(params, { signal: AbortSignal.abort() });
    await expect(call).rejects.toBeInstanceOf(APIUserAbortError);
    expect(requests).toBe(0);
  });

  it("stream.abort() ends the loop the same way", async () => {
    server.use(
      http.post(`${BASE_URL}/chat/completions`, () => sseResponse(fixtureText("chat-stream.sse"), { stallAfter: 1 })),
    );
    const stream = await makeClient().chat.completions.create({ ...params, stream: true });
    setTimeout(() => stream.abort(), 20);
    await expect(collect(stream)).rejects.toBeInstanceOf(APIUserAbortError);
    expect(stream.controller.signal.aborted).toBe(true);
  });

  it("after [DONE] changes nothing", async () => {
    server.use(http.post(`${BASE_URL}/chat/completions`, () => sseResponse(fixtureText("chat-stream.sse"))));
    const controller = new AbortController();
    const stream = await makeClient().chat.completions.create(
      { ...params, stream: true },
      { signal: controller.signal },
    );
    const text = await stream.finalText();
    controller.abort();
    expect(text).toBe("They refine many token positions in parallel.");
    expect((await stream.finalResponse()).usage?.total_tokens).toBe(89);
  });
});

describe("timeouts", () => {
  it("a server slower than `timeout` to answer raises APIConnectionTimeoutError", async () => {
    server.use(
      http.post(`${BASE_URL}/chat/completions`, async () => {
        await sleep(1000);
        return HttpResponse.json(fixtureJSON("chat-completion.json"));
      }),
    );
    const call = makeClient({ timeout: 50 }).chat.completions.create(params);
    await expect(call).rejects.toBeInstanceOf(APIConnectionTimeoutError);
  });
});
