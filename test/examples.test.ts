// Runs every file in examples/ against the fixture-backed Mercury stand-in and checks what it prints.
import { readdirSync } from "node:fs";
import { setupServer } from "msw/node";
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { FAKE_BASE_URL, fakeMercuryHandlers } from "./support/fake-mercury";

const server = setupServer(...fakeMercuryHandlers);
beforeAll(() => {
  server.listen({ onUnhandledRequest: "error" });
  vi.stubEnv("INCEPTION_BASE_URL", FAKE_BASE_URL);
  vi.stubEnv("INCEPTION_API_KEY", "sk_examples");
});
afterAll(() => {
  server.close();
  vi.unstubAllEnvs();
});
afterEach(() => vi.restoreAllMocks());

/** What each example must print (it imports the built `@anneal/sdk`). */
const expected: Record<string, RegExp[]> = {
  "ai-sdk-chat.ts": [
    /^answer: They refine many token positions in parallel/m,
    /\(89 tokens\)/,
    /draft 1: Thq rxfine/,
    /^final: They refine many token positions in parallel\.$/m,
  ],
  "ai-sdk-object.ts": [/sentiment: positive \(0\.93\)/, /keywords: fast, accurate/],
  "ai-sdk-tools.ts": [/tool call: get_weather\(Paris\)/, /answer: They refine/],
  "chat.ts": [/^They refine many token positions in parallel/m, /\(89 tokens\)/],
  "stream.ts": [/They refine many token positions in parallel\./, /usage: .*"total_tokens":89/],
  "diffusing.ts": [
    /draft 1: Thq rxfine/,
    /draft 3: They refine many token positions in parallel\./,
    /^answer: They refine many token positions in parallel\.$/m,
  ],
  "reasoning.ts": [
    /answer: 42/,
    /summary: Multiplied six by seven\.\nChecked the product\. \[complete\]/,
    /reasoning tokens: 39/,
  ],
  "tools.ts": [/tool call: get_weather\(Paris\)/, /answer: They refine/],
  "structured-output.ts": [/sentiment: positive \(0\.93\)/],
  "fim.ts": [/infill: "total = sum\(values\)\\n {4}return total \/ len\(values\)"/],
  "next-edit.ts": [/new file:\ndef mean\(values\):\n {4}return sum\(values\) \/ len\(values\)\n/],
  "apply-edit.ts": [/merged:\nclass Counter:[\s\S]*def reset\(self\):/],
  "models.ts": [
    /mercury-2: context 128000, features tools, json_mode, structured_outputs/,
    /edit models: mercury-edit-2/,
  ],
};

describe("examples", () => {
  const files = readdirSync(new URL("../examples/", import.meta.url)).filter((name) => name.endsWith(".ts"));

  it("every example has expectations", () => {
    expect(files.sort()).toEqual(Object.keys(expected).sort());
  });

  it.each(files)("%s runs and prints its result", async (file) => {
    let output = "";
    const capture = (...parts: unknown[]) => {
      output += `${parts.join(" ")}\n`;
    };
    vi.spyOn(console, "log").mockImplementation(capture);
    vi.spyOn(console, "error").mockImplementation(capture);
    vi.spyOn(process.stdout, "write").mockImplementation((chunk: string | Uint8Array) => {
      output += String(chunk);
      return true;
    });
    await import(`../examples/${file}`);
    for (const pattern of expected[file] ?? []) expect(output).toMatch(pattern);
  });
});
