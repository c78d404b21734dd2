// `anneal train` (and the `anneal-train` bin): train a new diffusion model or fine-tune a checkpoint.
import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { Command } from "commander";
import { workspacePackageRoots } from "../train/corpus";
import { DEFAULT_SETTINGS as D, type TrainSettings, train } from "../train/train";
import { collect, nonNegativeInteger, nonNegativeNumber, UsageError } from "./usage-error";

interface TrainFlags {
  out: string;
  data: string[];
  from?: string;
  steps?: number;
  batch: number;
  length: number;
  lr: number;
  warmup: number;
  vocab: number;
  dim: number;
  layers: number;
  heads: number;
  kvHeads?: number;
  ffn: number;
  checkpointEvery: number;
  evalEvery: number;
  seed: number;
  threads: number;
  stopAfter?: number;
}

export function trainCommand(name = "anneal train"): Command {
  const int = nonNegativeInteger;
  return new Command(name)
    .description("Train a new diffusion model, fine-tune a checkpoint, or resume a run (--out holding its state).")
    .requiredOption("--out <dir>", "checkpoint folder to write (resumes when it holds training state)")
    .option(
      "--data <dir>",
      "folder or file of .ts/.js/.md to train on (repeatable; default: the workspace's installed dependencies)",
      collect,
      [],
    )
    .option("--from <dir>", "fine-tune this checkpoint instead of starting a new model")
    .option("--steps <n>", `total optimiser steps (default ${D.steps}; on resume, a larger total continues)`, int)
    .option("--batch <n>", "sequences per step", int, D.batchSize)
    .option("--length <n>", "tokens per sequence", int, D.length)
    .option("--lr <x>", "peak learning rate", nonNegativeNumber, D.lr)
    .option("--warmup <n>", "warm-up steps", int, D.warmup)
    .option("--vocab <n>", "vocabulary size of a new model", int, D.vocabSize)
    .option("--dim <n>", "width of a new model", int, D.dim)
    .option("--layers <n>", "layers of a new model", int, D.layers)
    .option("--heads <n>", "attention heads of a new model", int, D.heads)
    .option("--kv-heads <n>", "key/value heads of a new model (default: --heads)", int)
    .option("--ffn <n>", "feed-forward width of a new model", int, D.ffn)
    .option("--checkpoint-every <n>", "save every N steps", int, D.checkpointEvery)
    .option("--eval-every <n>", "held-out evaluation every N steps", int, D.evalEvery)
    .option("--seed <n>", "random seed", int, D.seed)
    .option("--threads <n>", "engine threads (default: one per core)", int, D.threads)
    .option("--stop-after <n>", "stop after N steps of this run (the state is saved)", int)
    .action((flags: TrainFlags) => run(flags, name));
}

async function run(flags: TrainFlags, name: string): Promise<void> {
  const settings: TrainSettings = {
    ...D,
    out: flags.out,
    data: flags.data,
    from: flags.from,
    steps: flags.steps ?? D.steps,
    resumeSteps: flags.steps,
    batchSize: flags.batch,
    length: flags.length,
    lr: flags.lr,
    warmup: flags.warmup,
    vocabSize: flags.vocab,
    dim: flags.dim,
    layers: flags.layers,
    heads: flags.heads,
    kvHeads: flags.kvHeads ?? flags.heads,
    ffn: flags.ffn,
    checkpointEvery: flags.checkpointEvery,
    evalEvery: flags.evalEvery,
    seed: flags.seed,
    threads: flags.threads,
    stopAfter: flags.stopAfter,
  };
  if (settings.data.length === 0) {
    // Default corpus: the sources and docs of the workspace's installed dependencies, as the lockfile pinned them.
    const root = findWorkspaceRoot(process.cwd());
    settings.data = root ? workspacePackageRoots(root) : [];
    if (settings.data.length === 0)
      throw new UsageError("no --data given and no pnpm workspace with installed packages found here");
  }
  const summary = await train(settings, (p) => {
    const accuracy = p.heldOutAccuracy === undefined ? "" : `  held-out acc ${(p.heldOutAccuracy * 100).toFixed(1)}%`;
    process.stderr.write(
      `${name}: step ${p.step}/${p.steps}  loss ${p.loss.toFixed(4)}  |g| ${p.gradNorm.toFixed(2)}  lr ${p.lr.toExponential(2)}  ${p.tokensPerSecond.toFixed(0)} tok/s  ETA ${duration(p.etaSeconds)}${accuracy}\n`,
    );
  });
  process.stdout.write(`${JSON.stringify({ ...summary, history: undefined })}\n`);
}

function findWorkspaceRoot(start: string): string | undefined {
  for (let dir = start; ; dir = dirname(dir)) {
    if (existsSync(join(dir, "pnpm-workspace.yaml"))) return dir;
    if (dirname(dir) === dir) return undefined;
  }
}

function duration(seconds: number): string {
  if (seconds >= 3600) return `${(seconds / 3600).toFixed(1)}h`;
  return seconds >= 60 ? `${(seconds / 60).toFixed(1)}m` : `${seconds.toFixed(0)}s`;
}
