// Chat: one question, one answer. Run: `pnpm tsx examples/chat.ts "your question"`.
// Reads INCEPTION_BASE_URL and INCEPTION_API_KEY; ANNEAL_CHAT_MODEL picks the model.
import { APIError, Mercury } from "@anneal/sdk";

const client = new Mercury();
const question = process.argv[2] ?? "In one sentence: why do diffusion language models decode quickly?";

try {
  const completion = await client.chat.completions.create({
    model: process.env.ANNEAL_CHAT_MODEL ?? "mercury-2",
    messages: [{ role: "user", content: question }],
    max_tokens: 256,
  });
  console.log(completion.choices[0]?.message.content);
  console.log(`(${completion.usage?.total_tokens ?? "?"} tokens)`);
} catch (error) {
  // Every failure is an APIError subclass with the status and the server's message.
  if (!(error instanceof APIError)) throw error;
  console.error(`${error.name}: ${error.message} (base URL ${client.baseURL})`);
  process.exitCode = 1;
}
