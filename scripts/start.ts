// The main job, offline: serve the built-in model on loopback and ask it one question through the SDK.
// `pnpm start "your question"`, or pipe the question in. (The `anneal` CLI will take this over.)
import { createServer, defaultModelDir } from "@anneal/backend";
import { APIError, Mercury } from "@anneal/sdk";

async function question(): Promise<string> {
  if (process.argv[2]) return process.argv.slice(2).join(" ");
  if (!process.stdin.isTTY) {
    let text = "";
    for await (const chunk of process.stdin) text += chunk;
    if (text.trim()) return text.trim();
  }
  return "Write a TypeScript function that returns the sum of an array of numbers.";
}

const dir = defaultModelDir();
if (!dir) {
  process.stderr.write("start: the built-in model is missing (packages/backend/models)\n");
  process.exit(1);
}
const server = createServer({ models: [{ dir }] });
try {
  const origin = await server.listen(0, "127.0.0.1");
  await server.ready;
  const client = new Mercury({ baseURL: `${origin}/v1` });
  const prompt = await question();
  process.stderr.write(`> ${prompt}\n`);
  const stream = await client.chat.completions.create({
    model: server.registry.models[0]?.id ?? "default",
    messages: [{ role: "user", content: prompt }],
    max_tokens: 128,
    stream: true,
  });
  for await (const chunk of stream) process.stdout.write(chunk.choices[0]?.delta.content ?? "");
  const usage = stream.usage as { completion_tokens?: number; forward_passes?: number } | undefined;
  process.stdout.write("\n");
  process.stderr.write(
    `(${usage?.completion_tokens ?? 0} tokens in ${usage?.forward_passes ?? 0} forward passes, on ${dir})\n`,
  );
} catch (error) {
  process.stderr.write(`start: ${error instanceof APIError ? error.message : (error as Error).message}\n`);
  process.exitCode = 1;
} finally {
  await server.close();
}
