// Evaluates a checkpoint: held-out masked-token accuracy, and single-line infilling (hide one line of
// held-out code, infill it on the diffusion canvas, compare) for several sampler settings, with the
// tokens committed per forward pass — the quality/speed table of a model card.
import type { LoadedCheckpoint } from "../checkpoint/load";
import { type GenerateOptions, generate } from "../engine/generate";
import type { Document } from "./corpus";
import { TrainingData } from "./dataset";
import { evaluateHeldOutOnEngine } from "./evaluate";

export interface InfillSetting {
  name: string;
  options: Omit<GenerateOptions, "maxTokens" | "suffix">;
}

/** One token per step, then Fast-dLLM thresholds 0.9 and 0.7 (all over a 24-token canvas). */
export const INFILL_SETTINGS: InfillSetting[] = [
  { name: "one token per step", options: { sampler: "low_confidence", steps: 24, blockLength: 24 } },
  { name: "threshold 0.9", options: { sampler: "threshold", threshold: 0.9, blockLength: 24 } },
  { name: "threshold 0.7", options: { sampler: "threshold", threshold: 0.7, blockLength: 24 } },
];

export interface InfillResult {
  setting: string;
  exactMatch: number;
  tokensPerForward: number;
  cases: number;
}

export interface ModelEvaluation {
  heldOutAccuracy: number;
  heldOutMasked: number;
  infill: InfillResult[];
}

export interface EvaluateOptions {
  /** Held-out documents (never trained on). */
  documents: Document[];
  /** Lines to infill per setting. */
  cases?: number;
  /** Masked-accuracy sequences and their length. */
  sequences?: number;
  length?: number;
  settings?: InfillSetting[];
  seed?: number;
  canvas?: number;
}

export async function evaluateModel(checkpoint: LoadedCheckpoint, options: EvaluateOptions): Promise<ModelEvaluation> {
  const { architecture, tokenizer } = checkpoint;
  const length = options.length ?? 256;
  const eos = architecture.stopIds[0] as number;
  const ids = { mask: architecture.maskId, eos };
  const template = checkpoint.chatTemplate;
  if (!template) throw new Error(`${checkpoint.dir}: no chat template`);
  const data = new TrainingData(options.documents, tokenizer, template, ids, length, { pretrain: 1, sft: 0, fim: 0 });
  const heldOut = await evaluateHeldOutOnEngine(
    checkpoint.model,
    data,
    options.sequences ?? 64,
    8,
    options.seed ?? 1,
    architecture.shiftLogits,
  );

  const cases = infillCases(options.documents, options.cases ?? 40, options.seed ?? 1);
  const infill: InfillResult[] = [];
  for (const setting of options.settings ?? INFILL_SETTINGS) {
    let matches = 0;
    let committed = 0;
    let forwards = 0;
    for (const c of cases) {
      const prefix = tokenizer.encode(c.prefix).slice(-192);
      const suffix = tokenizer.encode(c.suffix).slice(0, 48);
      const run = generate(checkpoint, prefix, {
        ...setting.options,
        maxTokens: options.canvas ?? 24,
        suffix,
        stopIds: [eos],
      });
      let next = await run.next();
      while (!next.done) next = await run.next();
      const text = tokenizer.decode(next.value.tokens);
      if (normalise(text) === normalise(c.line)) matches++;
      committed += next.value.tokensPerForward * next.value.forwardPasses;
      forwards += next.value.forwardPasses;
    }
    infill.push({
      setting: setting.name,
      exactMatch: cases.length ? matches / cases.length : 0,
      tokensPerForward: forwards ? committed / forwards : 0,
      cases: cases.length,
    });
  }
  return { heldOutAccuracy: heldOut.accuracy, heldOutMasked: heldOut.masked, infill };
}

interface InfillCase {
  prefix: string;
  line: string;
  suffix: string;
}

/** Deterministically picks code lines worth infilling (8–80 characters, not blank or a lone brace). */
export function infillCases(documents: Document[], count: number, seed: number): InfillCase[] {
  const code = documents.filter((d) => /\.(ts|tsx|js|mjs|cjs)$/.test(d.path));
  const cases: InfillCase[] = [];
  let state = seed >>> 0 || 1;
  const next = () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return state / 4294967296;
  };
  for (let attempt = 0; attempt < count * 50 && cases.length < count && code.length > 0; attempt++) {
    const doc = code[Math.floor(next() * code.length)] as Document;
    const lines = doc.text.split("\n");
    const index = Math.floor(next() * lines.length);
    const line = lines[index] as string;
    const trimmed = line.trim();
    if (trimmed.length < 8 || trimmed.length > 80 || /^[{}()[\];,]*$/.test(trimmed) || trimmed.startsWith("//"))
      continue;
    cases.push({
      prefix: `${lines.slice(0, index).join("\n")}\n`,
      line,
      suffix: `\n${lines.slice(index + 1).join("\n")}`,
    });
  }
  return cases;
}

function normalise(text: string): string {
  return text.replace(/\s+$/, "").replace(/^\n+/, "");
}
