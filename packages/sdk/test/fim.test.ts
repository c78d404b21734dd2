// fim.completions: prompt + suffix in, `choices[].text` out; streamed text is appended.
import { HttpResponse } from "msw";
import { describe, expect, it } from "vitest";
import {
  answerPosts,
  collect,
  fixtureJSON,
  fixtureText,
  makeClient,
  sseResponse,
  useMockApi,
} from "./support/mock-api";

useMockApi();

const params = { model: "mercury-edit-2", prompt: "def mean(values):\n    ", suffix: "\n\nprint(mean([1, 2]))" };

const fimEndpoint = (respond: () => Response) => answerPosts("/fim/completions", respond);

describe("fim.completions.create", () => {
  it("posts prompt and suffix and returns the completion", async () => {
    const bodies = fimEndpoint(() => HttpResponse.json(fixtureJSON("fim-completion.json")));
    const completion = await makeClient().fim.completions.create({ ...params, max_tokens: 64, stop: ["\n\n"] });
    expect(bodies).toEqual([{ ...params, max_tokens: 64, stop: ["\n\n"] }]);
    expect(completion.object).toBe("text_completion");
    expect(completion.choices[0]?.text).toBe("total = sum(values)\n    return total / len(values)");
  });

  it("streams appended text, the usage chunk and the warning", async () => {
    const bodies = fimEndpoint(() => sseResponse(fixtureText("fim-stream.sse")));
    const stream = await makeClient().fim.completions.create({ ...params, stream: true });
    const texts = (await collect(stream)).map((chunk) => chunk.choices[0]?.text ?? "");
    const final = await stream.finalResponse();

    expect(bodies[0]).toMatchObject({ stream: true, stream_options: { include_usage: true } });
    expect(texts).toEqual(["total = sum(values)\n", "    return total / len(values)", ""]);
    expect(final.choices[0]).toEqual({
      index: 0,
      text: "total = sum(values)\n    return total / len(values)",
      finish_reason: "stop",
    });
    expect(final.usage?.completion_tokens).toBe(14);
    expect(final.warning).toBe("suffix truncated to fit the context");
  });

  it("drafts() and finalText() give the growing and the final infill", async () => {
    fimEndpoint(() => sseResponse(fixtureText("fim-stream.sse")));
    const stream = await makeClient().fim.completions.create({ ...params, stream: true });
    const drafts = await collect(stream.drafts());
    expect(drafts).toEqual(["total = sum(values)\n", "total = sum(values)\n    return total / len(values)"]);
    expect(await stream.finalText()).toBe(drafts.at(-1));
  });
});
