// anneal ask: one question, one answer — streamed text, the final response as JSON, or every event as JSONL.
import type { ChatMessage } from "@anneal/sdk";
import { type Context, promptFrom } from "../context";
import { UsageError } from "../exit-codes";
import { terminalRows } from "../render/terminal-rows";

export interface AskOptions {
  system?: string;
  json?: boolean;
  jsonl?: boolean;
  diffusing?: boolean;
  maxTokens?: string;
  temperature?: string;
}

export async function ask(words: string[], options: AskOptions, ctx: Context): Promise<void> {
  if (options.json && options.jsonl) throw new UsageError("choose one of --json and --jsonl");
  const prompt = await promptFrom(words);
  const messages: ChatMessage[] = [
    ...(options.system ? [{ role: "system" as const, content: options.system }] : []),
    { role: "user", content: prompt },
  ];
  const params = {
    model: ctx.settings.model,
    messages,
    ...(ctx.settings.effort ? { reasoning_effort: ctx.settings.effort } : {}),
    ...(options.maxTokens ? { max_tokens: positiveInteger(options.maxTokens, "--max-tokens") } : {}),
    ...(options.temperature ? { temperature: number(options.temperature, "--temperature") } : {}),
  };
  if (options.json) {
    const completion = await ctx.client().chat.completions.create(params);
    ctx.out.write(`${JSON.stringify(completion)}\n`);
    return;
  }
  const started = performance.now();
  const stream = await ctx
    .client()
    .chat.completions.create({ ...params, stream: true, diffusing: options.diffusing === true });
  if (options.jsonl) {
    for await (const chunk of stream) ctx.out.write(`${JSON.stringify(chunk)}\n`);
    return;
  }
  if (options.diffusing && ctx.out.isTTY) {
    // Redraw the whole draft in place at each step: the answer crystallises on screen. Moving up
    // counts the rows the last draft filled, wrapped lines included, at the terminal's width now.
    let previous: string | undefined;
    for await (const draft of stream.drafts()) {
      if (previous !== undefined) ctx.out.write(`\x1b[${terminalRows(previous, ctx.out.columns || 80)}F\x1b[J`);
      ctx.out.write(`${draft}\n`);
      previous = draft;
    }
  } else if (options.diffusing) {
    ctx.out.write(`${await stream.finalText()}\n`); // not a terminal: only the answer
  } else {
    for await (const chunk of stream) ctx.out.write(chunk.choices[0]?.delta.content ?? "");
    ctx.out.write("\n");
  }
  if (ctx.err.isTTY || ctx.verbose) {
    const usage = stream.usage;
    const seconds = (performance.now() - started) / 1000;
    const tokens = usage?.completion_tokens ?? 0;
    const passes = usage?.forward_passes !== undefined ? `, ${usage.forward_passes} forward passes` : "";
    ctx.err.write(`(${tokens} tokens, ${(tokens / seconds).toFixed(0)} tok/s${passes})\n`);
  }
}

export function positiveInteger(text: string, flag: string): number {
  const value = Number(text);
  if (!Number.isInteger(value) || value < 1) throw new UsageError(`${flag} must be a positive integer (got "${text}")`);
  return value;
}

function number(text: string, flag: string): number {
  const value = Number(text);
  if (!Number.isFinite(value)) throw new UsageError(`${flag} must be a number (got "${text}")`);
  return value;
}
