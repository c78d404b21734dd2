// anneal bench: throughput and latency of any endpoint — concurrent streamed chat requests, reported
// per concurrency level as a table (or JSON): aggregate tokens/s, time to first token, p50/p99 latency.
import type { Context } from "../context";
import { UsageError } from "../exit-codes";
import { positiveInteger } from "./ask";

export interface BenchOptions {
  concurrency: string;
  requests: string;
  maxTokens: string;
  prompt: string;
  json?: boolean;
}

interface Sample {
  ttftMs: number;
  latencyMs: number;
  tokens: number;
}

export async function bench(options: BenchOptions, ctx: Context): Promise<void> {
  const levels = options.concurrency.split(",").map((level) => positiveInteger(level.trim(), "--concurrency"));
  const perClient = positiveInteger(options.requests, "--requests");
  const maxTokens = positiveInteger(options.maxTokens, "--max-tokens");
  if (levels.length === 0) throw new UsageError("--concurrency needs at least one level");
  const client = ctx.client();

  const one = async (): Promise<Sample> => {
    const started = performance.now();
    const stream = await client.chat.completions.create({
      model: ctx.settings.model,
      messages: [{ role: "user", content: options.prompt }],
      max_tokens: maxTokens,
      stream: true,
      ...(ctx.settings.effort ? { reasoning_effort: ctx.settings.effort } : {}),
    });
    let ttftMs = -1;
    for await (const chunk of stream) {
      if (ttftMs < 0 && chunk.choices[0]?.delta.content) ttftMs = performance.now() - started;
    }
    const latencyMs = performance.now() - started;
    return { ttftMs: ttftMs < 0 ? latencyMs : ttftMs, latencyMs, tokens: stream.usage?.completion_tokens ?? 0 };
  };

  const rows = [];
  for (const concurrency of levels) {
    const started = performance.now();
    const samples = (
      await Promise.all(
        Array.from({ length: concurrency }, async () => {
          const mine: Sample[] = [];
          for (let i = 0; i < perClient; i++) mine.push(await one());
          return mine;
        }),
      )
    ).flat();
    const seconds = (performance.now() - started) / 1000;
    rows.push({
      concurrency,
      requests: samples.length,
      tokensPerSecond: round(samples.reduce((sum, s) => sum + s.tokens, 0) / seconds),
      ttftMs: p50p99(samples.map((s) => s.ttftMs)),
      latencyMs: p50p99(samples.map((s) => s.latencyMs)),
    });
  }
  if (options.json) {
    ctx.out.write(`${JSON.stringify({ model: ctx.settings.model, maxTokens, rows })}\n`);
    return;
  }
  const table = [
    ["concurrency", "requests", "tok/s", "TTFT p50", "TTFT p99", "latency p50", "latency p99"],
    ...rows.map((r) =>
      [
        r.concurrency,
        r.requests,
        r.tokensPerSecond,
        `${r.ttftMs.p50} ms`,
        `${r.ttftMs.p99} ms`,
        `${r.latencyMs.p50} ms`,
        `${r.latencyMs.p99} ms`,
      ].map(String),
    ),
  ];
  const widths = (table[0] as string[]).map((_, i) => Math.max(...table.map((row) => (row[i] as string).length)));
  for (const row of table) ctx.out.write(`${row.map((cell, i) => cell.padStart(widths[i] as number)).join("  ")}\n`);
}

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0;
}

/** Median and 99th percentile, to 0.1 ms. */
function p50p99(values: number[]): { p50: number; p99: number } {
  return { p50: round(percentile(values, 50)), p99: round(percentile(values, 99)) };
}

function round(value: number): number {
  return Math.round(value * 10) / 10;
}
