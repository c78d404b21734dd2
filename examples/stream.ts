// Streaming: print the answer as blocks arrive, then the usage the SDK asked for.
import { Mercury } from "@anneal/sdk";

const client = new Mercury();
const stream = await client.chat.completions.create({
  model: process.env.ANNEAL_CHAT_MODEL ?? "mercury-2",
  messages: [{ role: "user", content: "Explain masked diffusion decoding in two sentences." }],
  stream: true,
});

for await (const chunk of stream) {
  process.stdout.write(chunk.choices[0]?.delta.content ?? "");
}
process.stdout.write("\n");
console.log(`usage: ${JSON.stringify(stream.usage)}`);
