// The main job, offline: serve the built-in model on loopback, then open `anneal chat` against it on
// a terminal — or, given a question (arguments or piped stdin), answer it and exit.
import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { buildStale } from "./build-stale";

// Build what changed (quietly) before loading the built packages.
try {
  const built = buildStale();
  if (built.length > 0) process.stderr.write(`start: built ${built.join(", ")}\n`);
} catch (error) {
  process.stderr.write(`start: ${(error as Error).message}\n`);
  process.exit(1);
}
const { createServer, defaultModelDir } = await import("@anneal/backend");
const { APIError, Mercury } = await import("@anneal/sdk");

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
async function answerOnce(client: InstanceType<typeof Mercury>, model: string): Promise<void> {
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
  const passes = usage?.forward_passes !== undefined ? ` in ${usage.forward_passes} forward passes` : "";
  process.stderr.write(`(${usage?.completion_tokens ?? 0} tokens${passes})\n`);
}

/** The interactive chat in this terminal; resolves to its exit code. */
function chat(args: string[]): Promise<number> {
  const cli = fileURLToPath(new URL("../packages/cli/dist/bin.js", import.meta.url));
  const child = spawn(process.execPath, [cli, ...args, "chat", "--diffusing"], { stdio: "inherit" });
  process.on("SIGINT", () => {}); // Ctrl+C belongs to the chat
  return new Promise((resolve) => child.on("exit", (code) => resolve(code ?? 0)));
}

const interactive = process.stdin.isTTY && process.stdout.isTTY && !process.argv[2];

/** With INCEPTION_API_KEY set, the main job talks to Mercury itself: real answers, no local model. */
async function withMercury(): Promise<void> {
  process.stderr.write("start: INCEPTION_API_KEY is set — talking to Inception's Mercury API\n");
  if (interactive) process.exitCode = await chat([]);
  else await answerOnce(new Mercury(), process.env.ANNEAL_MODEL ?? "mercury-2");
}

/** Offline: the built-in model on loopback. */
async function withBuiltInModel(): Promise<void> {
  const dir = defaultModelDir();
  if (!dir) throw new Error("the built-in model is missing (packages/backend/models)");
  process.stderr.write(
    "start: the built-in model has 11M parameters: expect code-shaped noise, not answers. For real ones set " +
      "INCEPTION_API_KEY (Mercury), or serve a LLaDA/Dream checkpoint: anneal serve --model DIR|FILE.gguf|org/name\n",
  );
  const server = createServer({ models: [{ dir }] });
  try {
    const origin = await server.listen(0, "127.0.0.1");
    await server.ready;
    const model = server.registry.models[0]?.id ?? "default";
    if (interactive) process.exitCode = await chat(["--base-url", `${origin}/v1`, "--model", model]);
    else await answerOnce(new Mercury({ baseURL: `${origin}/v1` }), model);
  } finally {
    await server.close();
  }
}

try {
  await (process.env.INCEPTION_API_KEY?.trim() ? withMercury() : withBuiltInModel());
} catch (error) {
  process.stderr.write(`start: ${error instanceof APIError ? error.message : (error as Error).message}\n`);
  process.exitCode = 1;
}
