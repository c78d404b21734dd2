// The main job, offline: serve the built-in model on loopback, then open `anneal chat` against it on
// a terminal — or, given a question (arguments or piped stdin), answer it and exit.
import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
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

/** One streamed answer on stdout, its numbers on stderr. */
async function answerOnce(baseURL: string, model: string): Promise<void> {
  const client = new Mercury({ baseURL });
  const prompt = await question();
  process.stderr.write(`> ${prompt}\n`);
  const stream = await client.chat.completions.create({
    model,
    messages: [{ role: "user", content: prompt }],
    max_tokens: 128,
    stream: true,
  });
  for await (const chunk of stream) process.stdout.write(chunk.choices[0]?.delta.content ?? "");
  const usage = stream.usage as { completion_tokens?: number; forward_passes?: number } | undefined;
  process.stdout.write("\n");
  process.stderr.write(`(${usage?.completion_tokens ?? 0} tokens in ${usage?.forward_passes ?? 0} forward passes)\n`);
}

/** The interactive chat in this terminal; resolves to its exit code. */
function chat(baseURL: string, model: string): Promise<number> {
  const cli = fileURLToPath(new URL("../packages/cli/dist/bin.js", import.meta.url));
  const child = spawn(process.execPath, [cli, "--base-url", baseURL, "--model", model, "chat", "--diffusing"], {
    stdio: "inherit",
  });
  process.on("SIGINT", () => {}); // Ctrl+C belongs to the chat
  return new Promise((resolve) => child.on("exit", (code) => resolve(code ?? 0)));
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
  const model = server.registry.models[0]?.id ?? "default";
  const interactive = process.stdin.isTTY && process.stdout.isTTY && !process.argv[2];
  if (interactive) process.exitCode = await chat(`${origin}/v1`, model);
  else await answerOnce(`${origin}/v1`, model);
} catch (error) {
  process.stderr.write(`start: ${error instanceof APIError ? error.message : (error as Error).message}\n`);
  process.exitCode = 1;
} finally {
  await server.close();
}
