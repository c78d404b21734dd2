// Reasoning effort and summaries: `reasoning_summary_wait` makes the summary arrive in the stream.
import { Mercury } from "@anneal/sdk";

const client = new Mercury();
const stream = await client.chat.completions.create({
  model: process.env.ANNEAL_CHAT_MODEL ?? "mercury-2",
  messages: [{ role: "user", content: "What is six times seven?" }],
  reasoning_effort: "high",
  reasoning_summary: true,
  reasoning_summary_wait: true,
  stream: true,
});

const final = await stream.finalResponse();
console.log(`answer: ${final.choices[0]?.message.content}`);
console.log(`summary: ${final.reasoning_summary?.content ?? "(none)"} [${final.reasoning_summary?.status ?? "-"}]`);
console.log(`reasoning tokens: ${final.usage?.reasoning_tokens ?? 0}`);
