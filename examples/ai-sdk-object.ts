// The Vercel AI SDK's generateObject with a zod schema. Anneal's server lays the schema out on the
// canvas, so the object matches it first time. Run: `pnpm tsx examples/ai-sdk-object.ts`.
import { mercury } from "@anneal/ai-sdk";
import { generateObject } from "ai";
import { z } from "zod";

const { object } = await generateObject({
  model: mercury(process.env.ANNEAL_CHAT_MODEL ?? "mercury-2"),
  prompt: "Rate this review: 'Blazing fast and accurate.'",
  schema: z.object({
    sentiment: z.enum(["positive", "neutral", "negative"]),
    confidence: z.number().min(0).max(1),
    keywords: z.array(z.string().max(16)).max(3),
  }),
});
console.log(`sentiment: ${object.sentiment} (${object.confidence})`);
console.log(`keywords: ${object.keywords.join(", ")}`);
