// Structured output: ask for JSON that matches a schema, then parse it.
import { Mercury } from "@anneal/sdk";

const client = new Mercury();
const completion = await client.chat.completions.create({
  model: process.env.ANNEAL_CHAT_MODEL ?? "mercury-2",
  messages: [{ role: "user", content: "Rate this review: 'Blazing fast and accurate.'" }],
  response_format: {
    type: "json_schema",
    json_schema: {
      name: "sentiment",
      strict: true,
      schema: {
        type: "object",
        properties: {
          sentiment: { type: "string", enum: ["positive", "neutral", "negative"] },
          confidence: { type: "number" },
          keywords: { type: "array", items: { type: "string" } },
        },
        required: ["sentiment", "confidence", "keywords"],
      },
    },
  },
});

const result = JSON.parse(completion.choices[0]?.message.content ?? "{}") as { sentiment: string; confidence: number };
console.log(`sentiment: ${result.sentiment} (${result.confidence})`);
