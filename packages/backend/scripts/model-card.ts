// Writes MODEL_CARD.md and loss.svg for a model trained with anneal-train: training figures from its
// state, evaluation on the held-out split (or the JSON `pnpm bench` wrote), the exact command. Usage:
//   tsx packages/backend/scripts/model-card.ts --run /tmp/train-default --model packages/backend/models/NAME \
//     --command "…" [--evaluation bench/results/default-model.json] \
//     [--previous /tmp/stage-1 --previous-command "…"]   # when the run continued (--from) an earlier one
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { loadCheckpoint } from "../src/checkpoint/load";
import { collectDocuments, splitHeldOut, workspacePackageRoots } from "../src/train/corpus";
import { evaluateModel, type ModelEvaluation } from "../src/train/evaluate-model";
import type { TrainingState } from "../src/train/export";
import { lossCurveSvg } from "../src/train/loss-plot";

const { values } = parseArgs({
  options: {
    run: { type: "string" },
    model: { type: "string" },
    command: { type: "string" },
    cases: { type: "string" },
    evaluation: { type: "string" },
    previous: { type: "string" },
    "previous-command": { type: "string" },
  },
});
if (!values.run || !values.model || !values.command) throw new Error("--run, --model and --command are required");

const readState = (run: string) =>
  JSON.parse(readFileSync(join(run, "training", "state.json"), "utf8")) as TrainingState;
const state = readState(values.run);
const settings = state.settings as Record<string, number | string | string[]>;
const previous = values.previous ? readState(values.previous) : undefined;
const tokensPerStep = (s: TrainingState) => Number(s.settings.batchSize) * Number(s.settings.length);
const previousTokens = previous ? previous.step * tokensPerStep(previous) : 0;
const totalTokens = previousTokens + state.step * tokensPerStep(state);
/** Both stages on one axis of millions of tokens seen. */
const history = [
  ...(previous?.history.map((h) => ({ ...h, step: (h.step * tokensPerStep(previous)) / 1e6 })) ?? []),
  ...state.history.map((h) => ({ ...h, step: (previousTokens + h.step * tokensPerStep(state)) / 1e6 })),
];
const workspace = new URL("../../../", import.meta.url).pathname;
const documents = collectDocuments(workspacePackageRoots(workspace));
const { train, heldOut } = splitHeldOut(documents, Number(settings.heldOutFraction));
const checkpoint = await loadCheckpoint(values.model);
const started = performance.now();
const saved = values.evaluation
  ? (JSON.parse(readFileSync(values.evaluation, "utf8")) as ModelEvaluation & { seconds: number })
  : undefined;
const evaluation: ModelEvaluation =
  saved ?? (await evaluateModel(checkpoint, { documents: heldOut, cases: Number(values.cases ?? 60) }));
const evalSeconds = saved ? saved.seconds : (performance.now() - started) / 1000;
const info = checkpoint.model.info();
const shape = checkpoint.architecture.shape;
const last = state.history.slice(-100);
const finalLoss = last.reduce((sum, h) => sum + h.loss, 0) / last.length;
const accuracies = state.history.filter((h) => h.heldOutAccuracy !== undefined);
const bytes = readFileSync(join(values.model, "model.safetensors")).length;

writeFileSync(
  join(values.model, "loss.svg"),
  lossCurveSvg(
    history,
    `${shape.layers}×${shape.dim} LLaDA-format model, ${(totalTokens / 1e6).toFixed(1)} M tokens${previous ? " in two stages" : ""}`,
    "million tokens seen",
  ),
);
const pct = (x: number) => `${(x * 100).toFixed(1)} %`;
const card = `# ${values.model.split("/").at(-1)}

Anneal's default model: a small **LLaDA-format masked diffusion language model** trained from scratch by
Anneal's own trainer (\`anneal-train\`) on a CPU, so that the server works offline with nothing to
download. It is a real checkpoint in the standard layout (\`config.json\` with \`LLaDAModelLM\`,
\`model.safetensors\`, \`tokenizer.json\`, \`tokenizer_config.json\` with a chat template,
\`generation_config.json\`): any LLaDA-capable tool can load it.

## Size

| | |
| --- | --- |
| parameters | ${(info.parameters / 1e6).toFixed(2)} M (${shape.layers} layers, d_model ${shape.dim}, ${shape.heads} heads of ${shape.headDim}, SwiGLU ${shape.ffn}, untied LM head) |
| vocabulary | ${shape.vocab} (byte-level BPE trained on the corpus, plus ${8} special tokens: \`<|endoftext|>\` EOS, \`<|mdm_mask|>\` mask ${checkpoint.architecture.maskId}, chat roles, FIM markers) |
| weights | BF16, ${(bytes / 1e6).toFixed(1)} MB |
| training context | ${settings.length} tokens (RoPE θ ${shape.ropeTheta}; longer canvases run but were never trained) |

## Data

The TypeScript/JavaScript sources and Markdown docs of this workspace's installed dependencies
(\`node_modules/.pnpm/*\`, pinned by \`pnpm-lock.yaml\`), \`.d.ts\`, minified and >200 kB files left out,
deduplicated by content: ${documents.length} files, ${train.length} for training and ${heldOut.length}
held out by file hash (${pct(Number(settings.heldOutFraction))}). Each batch mixes LLaDA pre-training
windows (any token masked at rate t ~ U(0,1)), SFT pairs made from doc comments and the functions they
document (the prompt is never masked; the answer is padded with EOS, which is trained) and FIM
examples (1–3 hidden lines plus 1–16 EOS tokens between intact prefix and suffix) in the ratio
${JSON.stringify(settings.mix)}.

## Training

${
  previous
    ? `In two stages on 2 CPU threads. First from scratch (${previous.step} steps of ${previous.settings.batchSize} × ${previous.settings.length} tokens, peak learning rate ${previous.settings.lr}, ${previous.settings.warmup} warm-up steps, cosine decay to ${Number(previous.settings.minLrRatio) * 100} %):

\`\`\`sh
${values["previous-command"] ?? "(command not recorded)"}
\`\`\`

then continued from that checkpoint with a fresh optimiser and schedule:

`
    : ""
}\`\`\`sh
${values.command}
\`\`\`

${previous ? "The second stage: " : ""}${state.step} steps of ${settings.batchSize} × ${settings.length} tokens (${((state.step * tokensPerStep(state)) / 1e6).toFixed(1)} M tokens${previous ? `; ${(totalTokens / 1e6).toFixed(1)} M over both stages` : ""}), AdamW
(β 0.9/0.95, weight decay ${settings.weightDecay}, clip ${settings.clip}), peak learning rate ${settings.lr} with
${settings.warmup} warm-up steps and cosine decay to ${Number(settings.minLrRatio) * 100} %, on 2 CPU threads.

![loss curve](loss.svg)

Final training loss (mean of the last 100 steps, LLaDA's 1/p-weighted masked cross-entropy per token):
${finalLoss.toFixed(3)}. Held-out masked-token accuracy during training: ${accuracies
  .map((h) => `${pct(h.heldOutAccuracy as number)} at ${h.step}`)
  .slice(-4)
  .join(", ")}.

## Evaluation

Held-out masked-token accuracy (fixed windows and masks): **${pct(evaluation.heldOutAccuracy)}** over ${evaluation.heldOutMasked} masked tokens.

Single-line infilling on held-out code (${evaluation.infill[0]?.cases ?? 0} lines: hide one line of 8–80 characters,
infill it on a 24-token canvas between up to 192 prefix and 48 suffix tokens, exact match after trimming
trailing whitespace):

| sampler | exact match | tokens per forward |
| --- | --- | --- |
${evaluation.infill.map((r) => `| ${r.setting} | ${pct(r.exactMatch)} | ${r.tokensPerForward.toFixed(2)} |`).join("\n")}

(\`tsx bench/default-model.ts\`, part of \`pnpm bench\`: ${evalSeconds.toFixed(0)} s on this machine.)

## Limits

An ${(info.parameters / 1e6).toFixed(0)} M-parameter model trained for about two CPU hours: it has learned the
shape of TypeScript and Markdown — identifiers, punctuation, indentation, common idioms — and completes
short, local patterns, but it does not follow instructions, reason, or write correct programs. Use it to
exercise Anneal offline (the server, the CLI, the diffusion view, the samplers); load a real dLLM
checkpoint (LLaDA-8B-Instruct, Dream-7B, Open-dCoder) for real answers. Its knowledge is whatever the
dependencies' sources and READMEs contain, licences and all; it has seen no prose beyond them.
`;
writeFileSync(join(values.model, "MODEL_CARD.md"), card);
process.stdout.write(`${JSON.stringify({ evaluation, finalLoss, parameters: info.parameters, bytes }, null, 2)}\n`);
