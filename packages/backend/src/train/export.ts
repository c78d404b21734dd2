// Writes what training produces: a standard checkpoint folder (config.json, model.safetensors,
// tokenizer files, generation_config.json) and, under training/, the exact state to resume from.
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { Architecture } from "../checkpoint/architecture";
import type { DType } from "../checkpoint/safetensors";
import { safetensorsBytes, type TensorData } from "../checkpoint/safetensors-writer";
import { weightShape } from "../model-spec";
import type { NativeTrainer } from "../native";

/** Writes `file` through a temporary name, so a crash never leaves half a checkpoint. */
function writeAtomic(file: string, data: string | Buffer): void {
  writeFileSync(`${file}.tmp`, data);
  renameSync(`${file}.tmp`, file);
}

export interface ModelFiles {
  config: Record<string, unknown>;
  architecture: Architecture;
  tokenizerJson: object;
  tokenizerConfig: object;
  generationConfig: Record<string, unknown>;
}

/** The checkpoint folder any LLaDA/Dream-capable tool loads; weights in `dtype` under their checkpoint names. */
export function writeModel(dir: string, trainer: NativeTrainer, files: ModelFiles, dtype: DType): void {
  mkdirSync(dir, { recursive: true });
  const tensors: TensorData[] = [];
  for (const [key, { name }] of files.architecture.tensorNames) {
    const values = trainer.get(key);
    tensors.push({ name, shape: weightShape(key, files.architecture.shape), values });
  }
  writeAtomic(join(dir, "model.safetensors"), safetensorsBytes(tensors, dtype));
  writeAtomic(join(dir, "config.json"), `${JSON.stringify(files.config, null, 2)}\n`);
  writeAtomic(join(dir, "generation_config.json"), `${JSON.stringify(files.generationConfig, null, 2)}\n`);
  writeAtomic(join(dir, "tokenizer.json"), JSON.stringify(files.tokenizerJson));
  writeAtomic(join(dir, "tokenizer_config.json"), `${JSON.stringify(files.tokenizerConfig, null, 2)}\n`);
}

export interface TrainingState {
  /** Steps completed. */
  step: number;
  /** AdamW's t. */
  adamStep: number;
  /** The settings the run was started with (a resume keeps them). */
  settings: Record<string, unknown>;
  /** Loss per logged step, for the loss curve. */
  history: { step: number; loss: number; lr: number; heldOutAccuracy?: number; heldOutLoss?: number }[];
}

/** Weights and AdamW moments in float32 plus state.json: everything a bit-exact resume needs. */
export function writeTrainingState(dir: string, trainer: NativeTrainer, state: TrainingState): void {
  const folder = join(dir, "training");
  mkdirSync(folder, { recursive: true });
  const tensors: TensorData[] = [];
  for (const key of trainer.keys()) {
    for (const part of ["value", "m", "v"] as const) {
      const values = trainer.get(key, part);
      tensors.push({ name: `${part}/${key}`, shape: [values.length], values });
    }
  }
  writeAtomic(join(folder, "state.safetensors"), safetensorsBytes(tensors, "F32"));
  writeAtomic(join(folder, "state.json"), `${JSON.stringify(state, null, 2)}\n`);
}

export function hasTrainingState(dir: string): boolean {
  return existsSync(join(dir, "training", "state.json")) && existsSync(join(dir, "training", "state.safetensors"));
}

/** Restores weights, moments and the step counter written by writeTrainingState. */
export function readTrainingState(dir: string, trainer: NativeTrainer): TrainingState {
  const folder = join(dir, "training");
  const state = JSON.parse(readFileSync(join(folder, "state.json"), "utf8")) as TrainingState;
  const bytes = readFileSync(join(folder, "state.safetensors"));
  const headerLength = Number(bytes.readBigUInt64LE(0));
  const header = JSON.parse(bytes.subarray(8, 8 + headerLength).toString()) as Record<
    string,
    { data_offsets: [number, number] }
  >;
  const dataStart = 8 + headerLength;
  for (const key of trainer.keys()) {
    for (const part of ["value", "m", "v"] as const) {
      const entry = header[`${part}/${key}`];
      if (!entry) throw new Error(`${join(folder, "state.safetensors")}: no ${part}/${key}`);
      const [begin, end] = entry.data_offsets;
      const copy = Buffer.from(bytes.subarray(dataStart + begin, dataStart + end));
      trainer.set(key, part, new Float32Array(copy.buffer, copy.byteOffset, (end - begin) / 4));
    }
  }
  trainer.stepCount = state.adamStep;
  return state;
}
