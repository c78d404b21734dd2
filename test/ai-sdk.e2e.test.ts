// @anneal/ai-sdk against the real server with the built-in model, through the AI SDK itself:
// generateText, streamText with diffusing drafts, generateObject with a zod schema (valid by
// construction: the schema is laid out on the canvas), a tool loop, and the FIM and edit models.

import { createMercury, draftsOf } from "@anneal/ai-sdk";
import { buildNextEditPrompt } from "@anneal/sdk";
import { generateObject, generateText, stepCountIs, streamText, tool } from "ai";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { useContractCheck } from "./support/contract";
import { type LocalServer, startLocalServer } from "./support/local-server";

useContractCheck();

let local: LocalServer;
let mercury: ReturnType<typeof createMercury>;
beforeAll(async () => {
  local = await startLocalServer();
  mercury = createMercury({ baseURL: local.baseURL });
});
afterAll(() => local.close());

const MODEL = "anneal-code-11m";

describe("the AI SDK on anneal serve", () => {
  it("generateText answers, with usage and Anneal's decode statistics", async () => {
    const result = await generateText({
      model: mercury(MODEL),
      prompt: "Write a function that adds two numbers.",
      maxOutputTokens: 24,
    });
    expect(typeof result.text).toBe("string");
    expect(["stop", "length"]).toContain(result.finishReason);
    expect(result.usage.inputTokens).toBeGreaterThan(5);
    expect(result.providerMetadata?.mercury?.forwardPasses).toBeGreaterThan(0);
  });

  it("streamText with diffusing: drafts as they denoise, the last one the text", async () => {
    const result = streamText({
      model: mercury(MODEL),
      prompt: "Write a function that adds two numbers.",
      maxOutputTokens: 32,
      includeRawChunks: true,
      providerOptions: { mercury: { diffusing: true, reasoningEffort: "high" } },
    });
    const drafts: string[] = [];
    for await (const draft of draftsOf(result)) drafts.push(draft);
    expect(drafts.length).toBeGreaterThan(1);
    expect(drafts.at(-1)).toBe(await result.text);
  });

  it("generateObject with a zod schema: the object matches it, first time", async () => {
    const { object } = await generateObject({
      model: mercury(MODEL),
      prompt: "Rate this review: 'Blazing fast and accurate.'",
      schema: z.object({
        sentiment: z.enum(["positive", "neutral", "negative"]),
        score: z.number().int().min(1).max(5),
        keywords: z.array(z.string().max(12)).max(3),
      }),
      maxRetries: 0,
    });
    expect(["positive", "neutral", "negative"]).toContain(object.sentiment);
    expect(object.score).toBeGreaterThanOrEqual(1);
    expect(object.score).toBeLessThanOrEqual(5);
  });

  it("a tool loop: the model's call runs the tool, and the next step reads its result", async () => {
    const calls: string[] = [];
    const result = await generateText({
      model: mercury(MODEL),
      prompt: "What is the weather in Paris?",
      tools: {
        weather: tool({
          description: "The weather in a city",
          inputSchema: z.object({ city: z.string().max(20) }),
          execute: async ({ city }) => {
            calls.push(city);
            return { city, celsius: 18 };
          },
        }),
      },
      // The first step must call (the call is laid out on the canvas); the second may answer.
      prepareStep: ({ stepNumber }) => (stepNumber === 0 ? { toolChoice: "required" } : { toolChoice: "none" }),
      stopWhen: stepCountIs(2),
      maxOutputTokens: 64,
    });
    expect(calls).toHaveLength(1);
    expect(result.steps).toHaveLength(2);
    expect(result.steps[0]?.toolResults[0]).toMatchObject({ toolName: "weather", output: { celsius: 18 } });
    expect(typeof result.text).toBe("string");
  });

  it("the FIM model infills between prompt and suffix; the edit model takes a next-edit prompt", async () => {
    const infill = await generateText({
      model: mercury.fim(MODEL),
      prompt: "export function add(a: number, b: number) {\n  return ",
      providerOptions: { mercury: { suffix: ";\n}\n" } },
      maxOutputTokens: 16,
    });
    expect(typeof infill.text).toBe("string");
    const prompt = buildNextEditPrompt({
      file: { path: "a.ts", content: "const x = 1;\nconst y = x +;\n" },
      cursor: { line: 2, column: 13 },
    });
    const edit = await generateText({ model: mercury.edit(MODEL), prompt: prompt.content, maxOutputTokens: 24 });
    expect(edit.response.id).toMatch(/^chatcmpl-/);
  });
});
