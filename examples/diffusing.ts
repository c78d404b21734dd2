// Diffusing: watch the answer crystallise. Each draft is the whole text and replaces the last one.
import { Mercury } from "@anneal/sdk";

const client = new Mercury();
const stream = await client.chat.completions.create({
  model: process.env.ANNEAL_CHAT_MODEL ?? "mercury-2",
  messages: [{ role: "user", content: "Why do diffusion LLMs decode quickly?" }],
  stream: true,
  diffusing: true,
});

let step = 0;
for await (const draft of stream.drafts()) {
  console.log(`draft ${++step}: ${draft}`);
}
console.log(`answer: ${await stream.finalText()}`);
