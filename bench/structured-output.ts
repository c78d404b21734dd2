// Structured output on the built-in model, side by side in one run (`pnpm bench`): answers laid out on
// the canvas against the old path (generate freely, validate with ajv, retry with new seeds up to 3
// times) and a single free attempt at a prompt asking for JSON. 30 schemas and 10 required tool calls:
// parse rate, schema-valid rate, forward passes and milliseconds per answer, and the canvas's share of
// fixed tokens. Writes bench/results/structured-output.json.
import { defaultModelDir, generate, jsonCanvas, loadCheckpoint } from "@anneal/backend";
import type { CanvasConstraint } from "../packages/backend/src/engine/structured/canvas-rules";
import { decodingBudget } from "../packages/backend/src/server/decoding-budget";
import { outputCheck } from "../packages/backend/src/server/json-output";
import { SCHEMA_CASES, TOOL_CASES } from "./support/structured-suite";
import { writeResults } from "./support/write-results";

const dir = defaultModelDir();
if (!dir) throw new Error("the built-in model is missing");
const checkpoint = await loadCheckpoint(dir, { threads: 2 });
const { tokenizer, chatTemplate, architecture } = checkpoint;

interface Attempt {
  text: string;
  forwardPasses: number;
  ms: number;
}

async function decode(
  prompt: number[],
  maxTokens: number,
  seed: number,
  temperature: number,
  constraint?: CanvasConstraint,
) {
  const started = performance.now();
  const run = generate(checkpoint, prompt, {
    ...decodingBudget("medium", false, maxTokens),
    maxTokens,
    seed,
    temperature,
    ...(constraint ? { constraint, stopIds: [] } : { deferTokens: architecture.stopIds }),
  });
  let next = await run.next();
  while (!next.done) next = await run.next();
  return {
    text: tokenizer.decode(next.value.tokens),
    forwardPasses: next.value.forwardPasses,
    ms: performance.now() - started,
  };
}

function promptTokens(request: string, schema: unknown): number[] {
  const content = `${request}\nAnswer with JSON only, matching this schema: ${JSON.stringify(schema)}`;
  const messages = [{ role: "user", content }];
  const text = chatTemplate ? chatTemplate.render(messages) : `user: ${content}\nassistant: `;
  return tokenizer.encode(text);
}

type Check = (text: string) => { parsed: boolean; valid: boolean };

/** The server's own check (ajv): whether the text parses, and whether it matches. */
function schemaCheck(schema: Record<string, unknown>): Check {
  const problem = outputCheck({ type: "json_schema", json_schema: { name: "bench", schema } }) as (
    text: string,
  ) => string | undefined;
  return (text) => {
    const found = problem(text);
    return { parsed: found !== "the answer is not valid JSON", valid: found === undefined };
  };
}

/** A `<tool_call>{"name", "arguments"}</tool_call>` answer for `name`, arguments checked against `parameters`. */
function toolCheck(name: string, parameters: Record<string, unknown>): Check {
  const checkArguments = schemaCheck(parameters);
  return (text) => {
    const match = /<tool_call>([\s\S]*?)<\/tool_call>/.exec(text);
    if (!match) return { parsed: false, valid: false };
    try {
      const call = JSON.parse(match[1] as string) as { name?: unknown; arguments?: unknown };
      return { parsed: true, valid: call.name === name && checkArguments(JSON.stringify(call.arguments)).valid };
    } catch {
      return { parsed: false, valid: false };
    }
  };
}

interface Tally {
  answers: number;
  parsed: number;
  valid: number;
  forwardPasses: number;
  ms: number;
  tokens: number;
  fixedShare: number;
}
const empty = (): Tally => ({ answers: 0, parsed: 0, valid: 0, forwardPasses: 0, ms: 0, tokens: 0, fixedShare: 0 });
const methods = { canvas: empty(), retry: empty(), free: empty() };

function add(
  tally: Tally,
  outcome: { parsed: boolean; valid: boolean },
  passes: number,
  ms: number,
  tokens: number,
  fixedShare = 0,
) {
  tally.answers++;
  tally.parsed += outcome.parsed ? 1 : 0;
  tally.valid += outcome.valid ? 1 : 0;
  tally.forwardPasses += passes;
  tally.ms += ms;
  tally.tokens += tokens;
  tally.fixedShare += fixedShare;
}

async function runCase(name: string, prompt: number[], constraint: CanvasConstraint, check: Check) {
  const canvas = await decode(prompt, constraint.length, 0, 0, constraint);
  const fixed = constraint.fixed.filter((t) => t >= 0).length / constraint.length;
  add(methods.canvas, check(canvas.text), canvas.forwardPasses, canvas.ms, constraint.length, fixed);
  // The old path: the same answer length, greedy first, then seeds at temperature 0.7.
  let passes = 0;
  let ms = 0;
  let outcome = { parsed: false, valid: false };
  for (let attempt = 0; attempt < 3 && !outcome.valid; attempt++) {
    const free: Attempt = await decode(prompt, constraint.length, attempt, attempt > 0 ? 0.7 : 0);
    passes += free.forwardPasses;
    ms += free.ms;
    outcome = check(free.text);
    if (attempt === 0) add(methods.free, outcome, free.forwardPasses, free.ms, constraint.length);
  }
  add(methods.retry, outcome, passes, ms, constraint.length);
  console.log(
    `${name.padEnd(18)} canvas ${check(canvas.text).valid ? "valid" : "INVALID"} in ${canvas.forwardPasses} passes: ${canvas.text.slice(0, 90)}`,
  );
}

for (const item of SCHEMA_CASES) {
  await runCase(
    item.name,
    promptTokens(item.prompt, item.schema),
    jsonCanvas(item.schema, checkpoint),
    schemaCheck(item.schema),
  );
}
for (const item of TOOL_CASES) {
  const frame = {
    before: `<tool_call>{"name": ${JSON.stringify(item.tool.name)}, "arguments": `,
    after: "}</tool_call>",
  };
  const tools = [{ type: "function", function: item.tool }];
  const request = `${item.prompt}\nCall ${item.tool.name} with its arguments as <tool_call>{"name": ..., "arguments": {...}}</tool_call>. Tools: ${JSON.stringify(tools)}`;
  await runCase(
    item.name,
    promptTokens(request, item.tool.parameters),
    jsonCanvas(item.tool.parameters, checkpoint, frame),
    toolCheck(item.tool.name, item.tool.parameters),
  );
}

const summary = Object.fromEntries(
  Object.entries(methods).map(([name, t]) => [
    name,
    {
      answers: t.answers,
      parseRate: Number((t.parsed / t.answers).toFixed(3)),
      validRate: Number((t.valid / t.answers).toFixed(3)),
      forwardPassesPerAnswer: Number((t.forwardPasses / t.answers).toFixed(1)),
      msPerAnswer: Math.round(t.ms / t.answers),
      canvasTokensPerAnswer: Math.round(t.tokens / t.answers),
      ...(name === "canvas" ? { fixedTokenShare: Number((t.fixedShare / t.answers).toFixed(3)) } : {}),
    },
  ]),
);
console.table(summary);
writeResults("structured-output", {
  measured: new Date().toISOString(),
  model: dir.split("/").at(-1),
  cases: { schemas: SCHEMA_CASES.length, toolCalls: TOOL_CASES.length },
  note: "canvas: laid out on the canvas; retry: free generation validated and retried up to 3 times (the old path); free: its first attempt alone (an unconstrained prompt asking for JSON). Medium effort, same answer length for all.",
  methods: summary,
});
