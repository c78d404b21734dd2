#!/usr/bin/env node
import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
// anneal-train: train a new diffusion model or fine-tune a checkpoint from the command line.
// (`anneal train` in the CLI will call the same library function.)
import { parseArgs } from "node:util";
import { workspacePackageRoots } from "../train/corpus";
import { DEFAULT_SETTINGS, type TrainSettings, train } from "../train/train";

function findWorkspaceRoot(start: string): string | undefined {
  for (let dir = start; ; dir = dirname(dir)) {
    if (existsSync(join(dir, "pnpm-workspace.yaml"))) return dir;
    if (dirname(dir) === dir) return undefined;
  }
}

const USAGE = `usage: anneal-train --out DIR [--data DIR ...] [--from CHECKPOINT] [options]

  --out DIR            checkpoint folder to write (resumes when it holds training state)
  --data DIR           folder or file of .ts/.js/.md to train on (repeatable; default: the
                       workspace's installed dependencies, node_modules/.pnpm)
  --from DIR           fine-tune this checkpoint instead of starting a new model
  --steps N            total optimiser steps (default ${DEFAULT_SETTINGS.steps})
  --batch N            sequences per step (default ${DEFAULT_SETTINGS.batchSize})
  --length N           tokens per sequence (default ${DEFAULT_SETTINGS.length})
  --lr X               peak learning rate (default ${DEFAULT_SETTINGS.lr})
  --warmup N           warm-up steps (default ${DEFAULT_SETTINGS.warmup})
  --vocab N            vocabulary size of a new model (default ${DEFAULT_SETTINGS.vocabSize})
  --dim N --layers N --heads N --kv-heads N --ffn N   shape of a new model
  --checkpoint-every N --eval-every N --seed N --threads N --stop-after N
`;

function fail(message: string): never {
  process.stderr.write(`anneal-train: ${message}\n${USAGE}`);
  process.exit(2);
}

let args: ReturnType<typeof parseArgs>["values"];
try {
  args = parseArgs({
    options: {
      out: { type: "string" },
      data: { type: "string", multiple: true },
      from: { type: "string" },
      steps: { type: "string" },
      batch: { type: "string" },
      length: { type: "string" },
      lr: { type: "string" },
      warmup: { type: "string" },
      vocab: { type: "string" },
      dim: { type: "string" },
      layers: { type: "string" },
      heads: { type: "string" },
      "kv-heads": { type: "string" },
      ffn: { type: "string" },
      "checkpoint-every": { type: "string" },
      "eval-every": { type: "string" },
      seed: { type: "string" },
      threads: { type: "string" },
      "stop-after": { type: "string" },
      help: { type: "boolean" },
    },
  }).values;
} catch (error) {
  fail((error as Error).message);
}
if (args.help) {
  process.stdout.write(USAGE);
  process.exit(0);
}
if (typeof args.out !== "string") fail("--out is required");

function number(name: string, fallback: number): number {
  const raw = args[name];
  if (raw === undefined) return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value) || value < 0) fail(`--${name} must be a non-negative number (got ${String(raw)})`);
  return value;
}

const settings: TrainSettings = {
  ...DEFAULT_SETTINGS,
  out: args.out,
  data: (args.data as string[] | undefined) ?? [],
  from: args.from as string | undefined,
  steps: number("steps", DEFAULT_SETTINGS.steps),
  batchSize: number("batch", DEFAULT_SETTINGS.batchSize),
  length: number("length", DEFAULT_SETTINGS.length),
  lr: number("lr", DEFAULT_SETTINGS.lr),
  warmup: number("warmup", DEFAULT_SETTINGS.warmup),
  vocabSize: number("vocab", DEFAULT_SETTINGS.vocabSize),
  dim: number("dim", DEFAULT_SETTINGS.dim),
  layers: number("layers", DEFAULT_SETTINGS.layers),
  heads: number("heads", DEFAULT_SETTINGS.heads),
  kvHeads: number("kv-heads", number("heads", DEFAULT_SETTINGS.kvHeads)),
  ffn: number("ffn", DEFAULT_SETTINGS.ffn),
  checkpointEvery: number("checkpoint-every", DEFAULT_SETTINGS.checkpointEvery),
  evalEvery: number("eval-every", DEFAULT_SETTINGS.evalEvery),
  seed: number("seed", DEFAULT_SETTINGS.seed),
  threads: number("threads", DEFAULT_SETTINGS.threads),
  stopAfter: args["stop-after"] === undefined ? undefined : number("stop-after", 0),
};
if (settings.data.length === 0) {
  // Default corpus: the sources and docs of the workspace's installed dependencies, as the lockfile pinned them.
  const root = findWorkspaceRoot(process.cwd());
  settings.data = root ? workspacePackageRoots(root) : [];
  if (settings.data.length === 0) fail("no --data given and no pnpm workspace with installed packages found here");
}

const format = (seconds: number) =>
  seconds >= 3600
    ? `${(seconds / 3600).toFixed(1)}h`
    : seconds >= 60
      ? `${(seconds / 60).toFixed(1)}m`
      : `${seconds.toFixed(0)}s`;

try {
  const summary = await train(settings, (p) => {
    const accuracy = p.heldOutAccuracy === undefined ? "" : `  held-out acc ${(p.heldOutAccuracy * 100).toFixed(1)}%`;
    process.stderr.write(
      `step ${p.step}/${p.steps}  loss ${p.loss.toFixed(4)}  |g| ${p.gradNorm.toFixed(2)}  lr ${p.lr.toExponential(2)}  ${p.tokensPerSecond.toFixed(0)} tok/s  ETA ${format(p.etaSeconds)}${accuracy}\n`,
    );
  });
  process.stdout.write(`${JSON.stringify({ ...summary, history: undefined })}\n`);
} catch (error) {
  process.stderr.write(`anneal-train: ${(error as Error).message}\n`);
  process.exit(1);
}
