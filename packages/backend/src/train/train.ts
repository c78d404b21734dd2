// train(): masked-diffusion training of a new model or fine-tuning of a checkpoint, with
// checkpoints every N steps, an exact resume, held-out evaluation and progress reports.
import { existsSync } from "node:fs";
import { join } from "node:path";
import { readArchitecture } from "../checkpoint/architecture";
import { ChatTemplate, chatTemplateSource } from "../checkpoint/chat-template";
import { locateWeights, readJSON } from "../checkpoint/load";
import type { DType } from "../checkpoint/safetensors";
import { TextTokenizer } from "../checkpoint/tokenizer";
import { countParameters, FAMILY_SPECS } from "../model-spec";
import { type ModelShape, type NativeTrainer, native } from "../native";
import { trainBpe } from "./bpe-trainer";
import { collectDocuments, type Document, splitHeldOut } from "./corpus";
import { type DataMix, DEFAULT_MIX, shiftTargets, TrainingData } from "./dataset";
import { evaluateHeldOut } from "./evaluate";
import {
  hasTrainingState,
  type ModelFiles,
  readTrainingState,
  type TrainingState,
  writeModel,
  writeTrainingState,
} from "./export";
import { learningRate } from "./schedule";
import { SPECIAL_TOKENS, tokenizerFiles } from "./tokenizer-files";

export interface TrainSettings {
  /** Output checkpoint folder (resumed from when it holds training state). */
  out: string;
  /** Folders to read the corpus from. */
  data: string[];
  /** Fine-tune this checkpoint instead of starting a new model. */
  from?: string | undefined;
  /** New model: vocabulary (including special tokens) and shape. */
  vocabSize: number;
  dim: number;
  layers: number;
  heads: number;
  kvHeads: number;
  ffn: number;
  ropeTheta: number;
  /** Tokens per training sequence and sequences per step. */
  length: number;
  batchSize: number;
  steps: number;
  lr: number;
  warmup: number;
  minLrRatio: number;
  weightDecay: number;
  clip: number;
  seed: number;
  threads: number;
  checkpointEvery: number;
  evalEvery: number;
  evalSequences: number;
  heldOutFraction: number;
  mix: DataMix;
  /** dtype of the exported model.safetensors. */
  dtype: DType;
  /** Stop after this many steps of this run (the state is saved), e.g. to test resuming. */
  stopAfter?: number | undefined;
  /** On resume: train up to this many steps in all (default: the total the run was started with). */
  resumeSteps?: number | undefined;
}

export const DEFAULT_SETTINGS: Omit<TrainSettings, "out" | "data"> = {
  vocabSize: 8192,
  dim: 256,
  layers: 8,
  heads: 4,
  kvHeads: 4,
  ffn: 768,
  ropeTheta: 10000,
  length: 256,
  batchSize: 8,
  steps: 4000,
  lr: 1e-3,
  warmup: 200,
  minLrRatio: 0.1,
  weightDecay: 0.1,
  clip: 1,
  seed: 1,
  threads: 0,
  checkpointEvery: 200,
  evalEvery: 200,
  evalSequences: 32,
  heldOutFraction: 0.02,
  mix: DEFAULT_MIX,
  dtype: "BF16",
};

export interface Progress {
  step: number;
  steps: number;
  loss: number;
  lr: number;
  gradNorm: number;
  tokensPerSecond: number;
  etaSeconds: number;
  heldOutAccuracy?: number;
}

export interface TrainSummary {
  out: string;
  steps: number;
  parameters: number;
  finalLoss: number;
  heldOutAccuracy: number;
  /** Masked cross-entropy on the fixed evaluation batches (the training objective, without its noise). */
  heldOutLoss: number;
  corpusTokens: number;
  history: TrainingState["history"];
}

export async function train(input: TrainSettings, onProgress: (p: Progress) => void = () => {}): Promise<TrainSummary> {
  const resuming = hasTrainingState(input.out);
  const settings = resuming ? resumedSettings(input) : input;
  const documents = collectDocuments(settings.data);
  if (documents.length === 0) throw new Error(`no .ts/.js/.md files found in ${settings.data.join(", ")}`);
  const { train: trainDocs, heldOut } = splitHeldOut(documents, settings.heldOutFraction);

  const model =
    resuming || settings.from
      ? existingModel(resuming ? settings.out : (settings.from as string))
      : newModel(settings, trainDocs);
  const trainer = await native().createTrainer(
    model.files.architecture.shape,
    resuming || !settings.from ? { seed: settings.seed } : locateWeights(settings.from, model.files.architecture),
    settings.threads,
  );
  let state: TrainingState = { step: 0, adamStep: 0, settings: { ...settings }, history: [] };
  if (resuming) state = readTrainingState(settings.out, trainer);
  if (resuming && state.step >= settings.steps) {
    throw new Error(
      `${settings.out} has already trained ${state.step} of ${settings.steps} steps; pass --steps with a larger total to train further`,
    );
  }

  const ids = model.ids;
  const data = new TrainingData(trainDocs, model.tokenizer, model.template, ids, settings.length, settings.mix);
  const evalData =
    heldOut.length > 0
      ? new TrainingData(heldOut, model.tokenizer, model.template, ids, settings.length, {
          pretrain: 1,
          sft: 0,
          fim: 0,
        })
      : data;
  const shift = model.files.architecture.shiftLogits;
  const evaluate = () =>
    evaluateHeldOut(trainer, evalData, settings.evalSequences, settings.batchSize, settings.seed, shift);

  const save = () => {
    writeModel(settings.out, trainer, model.files, settings.dtype);
    writeTrainingState(settings.out, trainer, state);
  };
  if (state.step === 0) {
    // Step 0: where the model starts, for the loss curve and for judging the run.
    const held = await evaluate();
    state.history.push({ step: 0, loss: Number.NaN, lr: 0, heldOutAccuracy: held.accuracy, heldOutLoss: held.loss });
  }
  const started = performance.now();
  const firstStep = state.step;
  let loss = Number.NaN;
  const lastStep = Math.min(
    settings.steps,
    settings.stopAfter !== undefined ? firstStep + settings.stopAfter : settings.steps,
  );
  while (state.step < lastStep) {
    const lr = learningRate(state.step, settings.steps, settings.lr, settings.warmup, settings.minLrRatio);
    const batch = data.batch(state.step, settings.batchSize, settings.seed);
    const result = await trainer.step(shift ? shiftTargets(batch) : batch, {
      lr,
      weightDecay: settings.weightDecay,
      clip: settings.clip,
    });
    loss = result.loss;
    state.step++;
    state.adamStep = trainer.stepCount;
    const entry: TrainingState["history"][number] = { step: state.step, loss, lr };
    if (state.step % settings.evalEvery === 0 || state.step === settings.steps) {
      const held = await evaluate();
      entry.heldOutAccuracy = held.accuracy;
      entry.heldOutLoss = held.loss;
    }
    state.history.push(entry);
    const seconds = (performance.now() - started) / 1000;
    const done = state.step - firstStep;
    onProgress({
      step: state.step,
      steps: settings.steps,
      loss,
      lr,
      gradNorm: result.gradNorm,
      tokensPerSecond: (done * settings.batchSize * settings.length) / seconds,
      etaSeconds: (seconds / done) * (settings.steps - state.step),
      ...(entry.heldOutAccuracy !== undefined ? { heldOutAccuracy: entry.heldOutAccuracy } : {}),
    });
    if (state.step % settings.checkpointEvery === 0) save();
  }
  save();
  const finalEval = await evaluate();
  return {
    out: settings.out,
    steps: state.step,
    parameters: countParameters(model.files.architecture.shape),
    finalLoss: loss,
    heldOutAccuracy: finalEval.accuracy,
    heldOutLoss: finalEval.loss,
    corpusTokens: data.tokenCount,
    history: state.history,
  };
}

/** A resumed run keeps the settings it started with; only `out`, `threads` and `stopAfter` may change. */
function resumedSettings(input: TrainSettings): TrainSettings {
  const saved = readJSON(join(input.out, "training", "state.json")).settings as TrainSettings;
  // A larger --steps continues the run (the learning-rate schedule stretches to the new total).
  const steps = input.resumeSteps ?? saved.steps;
  return { ...saved, steps, out: input.out, threads: input.threads, stopAfter: input.stopAfter };
}

interface ModelSetup {
  files: ModelFiles;
  tokenizer: TextTokenizer;
  template: ChatTemplate;
  ids: { mask: number; eos: number };
}

/** A new LLaDA-format model: train the tokenizer on the corpus, size the model. */
function newModel(settings: TrainSettings, documents: Document[]): ModelSetup {
  const specials = Object.keys(SPECIAL_TOKENS).length;
  const bpe = trainBpe(
    documents.map((doc) => doc.text),
    settings.vocabSize - specials,
  );
  const tokens = tokenizerFiles(bpe);
  const shape: ModelShape = {
    vocab: tokens.vocabSize,
    dim: settings.dim,
    layers: settings.layers,
    heads: settings.heads,
    kvHeads: settings.kvHeads,
    headDim: settings.dim / settings.heads,
    ffn: settings.ffn,
    eps: 1e-5,
    ropeTheta: settings.ropeTheta,
    qkvBias: false,
    tiedEmbeddings: false,
  };
  const ids = { mask: tokens.ids.mask, eos: tokens.ids.eos };
  const config = FAMILY_SPECS.llada.writeConfig(shape, ids, Math.max(4096, settings.length));
  const tokenizerConfig = tokens.tokenizerConfig as Record<string, unknown>;
  return {
    files: {
      config,
      architecture: readArchitecture(config, "config.json"),
      tokenizerJson: tokens.tokenizerJson,
      tokenizerConfig,
      generationConfig: { eos_token_id: ids.eos, mask_token_id: ids.mask, pad_token_id: ids.eos },
    },
    tokenizer: new TextTokenizer(tokens.tokenizerJson, tokenizerConfig, "tokenizer.json"),
    template: new ChatTemplate(chatTemplateSource(tokenizerConfig) as string, {}, "tokenizer_config.json"),
    ids,
  };
}

/** An existing checkpoint folder (fine-tuning, or resuming our own output). */
function existingModel(dir: string): ModelSetup {
  const config = readJSON(join(dir, "config.json"));
  const architecture = readArchitecture(config, join(dir, "config.json"));
  const tokenizerJson = readJSON(join(dir, "tokenizer.json"));
  const configFile = join(dir, "tokenizer_config.json");
  const tokenizerConfig = existsSync(configFile) ? readJSON(configFile) : {};
  const source = chatTemplateSource(tokenizerConfig) ?? "{% for m in messages %}{{ m['content'] }}{% endfor %}";
  const generationFile = join(dir, "generation_config.json");
  const tokenizer = new TextTokenizer(tokenizerJson, tokenizerConfig, join(dir, "tokenizer.json"));
  const eos = architecture.stopIds[0];
  if (eos === undefined) throw new Error(`${join(dir, "config.json")}: no eos_token_id to pad answers with`);
  return {
    files: {
      config,
      architecture,
      tokenizerJson,
      tokenizerConfig,
      generationConfig: existsSync(generationFile) ? readJSON(generationFile) : {},
    },
    tokenizer,
    template: new ChatTemplate(source, {}, configFile),
    ids: { mask: architecture.maskId, eos },
  };
}

export type { NativeTrainer };
