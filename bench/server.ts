// Server benchmarks (`pnpm bench`): the built-in model behind the real server on loopback, driven by
// concurrent streaming clients. Aggregate generated tokens/s at concurrency 1, 4 and 16 (the batching
// effect), time to first token, p50/p99 latency. Writes bench/results/server.json. The GPU run
// (bench/device-run.sh) sets BENCH_DEVICE, BENCH_MODEL, BENCH_CONCURRENCY, BENCH_THREADS and BENCH_RESULTS.
import { mkdirSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";
import { fileURLToPath } from "node:url";
import { createServer, type Device, defaultModelDir } from "@anneal/backend";

const MAX_TOKENS = Number(process.env.BENCH_TOKENS ?? 64);
const REQUESTS_PER_CLIENT = Number(process.env.BENCH_REQUESTS ?? 4);
const CONCURRENCY = (process.env.BENCH_CONCURRENCY ?? "1,4,16").split(",").map(Number);
const DEVICE = (process.env.BENCH_DEVICE ?? "auto") as Device;
const RESULTS = process.env.BENCH_RESULTS ?? fileURLToPath(new URL("./results/server.json", import.meta.url));
const dir = process.env.BENCH_MODEL ?? defaultModelDir();
if (!dir) throw new Error("the built-in model is missing");
const server = createServer({
  models: [{ dir }],
  maxConcurrent: Math.max(...CONCURRENCY),
  maxQueue: 4 * Math.max(...CONCURRENCY),
  threads: Number(process.env.BENCH_THREADS ?? 2),
  device: DEVICE,
});
const origin = await server.listen(0, "127.0.0.1");
await server.ready;
const model = server.registry.models[0]?.id as string;

/** One streamed request: time to the first frame with text (or the end), total time, tokens. */
async function request(): Promise<{ ttft: number; latency: number; tokens: number }> {
  const started = performance.now();
  const response = await fetch(`${origin}/v1/chat/completions`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({
      model,
      messages: [{ role: "user", content: "Write a function that parses a date string." }],
      max_tokens: MAX_TOKENS,
      stream: true,
      stream_options: { include_usage: true },
      ignore_eos: true,
    }),
  });
  const reader = (response.body as ReadableStream<Uint8Array>).getReader();
  const decoder = new TextDecoder();
  let ttft = -1;
  let text = "";
  for (let chunk = await reader.read(); !chunk.done; chunk = await reader.read()) {
    if (ttft < 0) ttft = performance.now() - started;
    text += decoder.decode(chunk.value, { stream: true });
  }
  const frames = text.split("\n\n").filter((f) => f.startsWith("data: {"));
  const last = JSON.parse((frames.at(-1) as string).slice(6)) as { usage?: { completion_tokens: number } };
  const tokens = last.usage?.completion_tokens ?? 0;
  return { ttft, latency: performance.now() - started, tokens };
}

const percentile = (values: number[], p: number) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] as number;
};
/** Median and 99th percentile, in whole milliseconds. */
const p50p99 = (values: number[]) => ({
  p50: Math.round(percentile(values, 50)),
  p99: Math.round(percentile(values, 99)),
});

const runs = [];
for (const concurrency of CONCURRENCY) {
  const started = performance.now();
  const results = (
    await Promise.all(
      Array.from({ length: concurrency }, async () => {
        const mine = [];
        for (let i = 0; i < REQUESTS_PER_CLIENT; i++) mine.push(await request());
        return mine;
      }),
    )
  ).flat();
  const seconds = (performance.now() - started) / 1000;
  const tokens = results.reduce((sum, r) => sum + r.tokens, 0);
  const run = {
    concurrency,
    requests: results.length,
    tokensPerSecond: Number((tokens / seconds).toFixed(1)),
    timeToFirstTokenMs: p50p99(results.map((r) => r.ttft)),
    latencyMs: p50p99(results.map((r) => r.latency)),
  };
  console.log(
    `concurrency ${concurrency}: ${run.tokensPerSecond} tok/s aggregate, TTFT p50 ${run.timeToFirstTokenMs.p50} ms, latency p50 ${run.latencyMs.p50} / p99 ${run.latencyMs.p99} ms`,
  );
  runs.push(run);
}
await server.close();

const base = runs[0]?.tokensPerSecond ?? 1;
const results = {
  measured: new Date().toISOString(),
  model,
  device: server.registry.models[0]?.checkpoint.model.info().device,
  maxTokens: MAX_TOKENS,
  note: "streamed chat requests with ignore_eos (every answer is max_tokens long), reasoning_effort medium",
  runs,
  // Aggregate tokens/s at each concurrency over concurrency 1's ("concurrency4", "concurrency16" …).
  batchingSpeedup: Object.fromEntries(
    runs.slice(1).map((run) => [`concurrency${run.concurrency}`, Number((run.tokensPerSecond / base).toFixed(2))]),
  ),
};
mkdirSync(dirname(RESULTS), { recursive: true });
writeFileSync(RESULTS, `${JSON.stringify(results, null, 2)}\n`);
console.log(
  `aggregate throughput vs concurrency 1: ${Object.entries(results.batchingSpeedup)
    .map(([key, ratio]) => `×${ratio} at ${key.replace("concurrency", "")}`)
    .join(", ")}`,
);
