// The Vercel AI SDK with Mercury: generateText, then streamText watching the diffusion drafts.
// Run: `pnpm tsx examples/ai-sdk-chat.ts`. Reads INCEPTION_BASE_URL and INCEPTION_API_KEY.
import { draftsOf, mercury } from "@anneal/ai-sdk";
import { generateText, streamText } from "ai";

const model = mercury(process.env.ANNEAL_CHAT_MODEL ?? "mercury-2");
const prompt = "Why do diffusion LLMs decode quickly?";

const { text, usage } = await generateText({ model, prompt, maxOutputTokens: 256 });
console.log(`answer: ${text}`);
console.log(`(${usage.totalTokens ?? "?"} tokens)`);

// Drafts arrive as raw parts, so ask for them; the text stream itself stays append-only.
const result = streamText({
  model,
  prompt,
  includeRawChunks: true,
  providerOptions: { mercury: { diffusing: true } },
});
let step = 0;
for await (const draft of draftsOf(result)) console.log(`draft ${++step}: ${draft}`);
console.log(`final: ${await result.text}`);
