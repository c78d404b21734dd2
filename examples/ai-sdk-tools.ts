// A tool loop with the Vercel AI SDK: the model calls a tool, the SDK runs it, the model answers.
// Run: `pnpm tsx examples/ai-sdk-tools.ts`.
import { mercury } from "@anneal/ai-sdk";
import { generateText, stepCountIs, tool } from "ai";
import { z } from "zod";

const result = await generateText({
  model: mercury(process.env.ANNEAL_CHAT_MODEL ?? "mercury-2"),
  prompt: "What is the weather in Paris?",
  tools: {
    get_weather: tool({
      description: "The current weather in a city",
      inputSchema: z.object({ city: z.string().max(40) }),
      execute: async ({ city }) => ({ city, celsius: 18, sky: "clear" }),
    }),
  },
  // Call the tool first, then answer in words.
  prepareStep: ({ stepNumber }) => ({ toolChoice: stepNumber === 0 ? "required" : "none" }),
  stopWhen: stepCountIs(2),
  maxOutputTokens: 128,
});
for (const call of result.steps[0]?.toolCalls ?? []) {
  console.log(`tool call: ${call.toolName}(${(call.input as { city: string }).city})`);
}
console.log(`answer: ${result.text}`);
