// Structured output: ask for JSON that matches a schema, then parse it.
import { Mercury, UnprocessableEntityError } from "@anneal/sdk";

const client = new Mercury();
const completion = await client.chat.completions
  .create({
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
  })
  .catch((error: unknown) => {
    // A server that cannot produce schema-valid JSON says so with a 422 rather than sending bad JSON.
    if (!(error instanceof UnprocessableEntityError)) throw error;
    console.error(`no structured answer: ${error.message}`);
    process.exit(1);
  });

const result = JSON.parse(completion.choices[0]?.message.content ?? "{}") as { sentiment: string; confidence: number };
console.log(`sentiment: ${result.sentiment} (${result.confidence})`);
