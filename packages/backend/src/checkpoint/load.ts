// Loads a Hugging Face checkpoint folder: config, safetensors weights (into the native engine),
// tokenizer, chat template and generation defaults. Every problem names its file.
import { existsSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { CheckpointError } from "../errors";
import { type Device, type GemmBackend, type NativeModel, type NativeTensor, native } from "../native";
import { type Architecture, checkSpecialIds, readArchitecture } from "./architecture";
import { ChatTemplate, chatTemplateSource } from "./chat-template";
import { expectedShape } from "./expected-shapes";
import { checkFitsInMemory } from "./memory-fit";
import { isLoadable, readCheckpointTensors } from "./safetensors";
import { TextTokenizer } from "./tokenizer";

export interface LoadedCheckpoint {
  dir: string;
  architecture: Architecture;
  model: NativeModel;
  tokenizer: TextTokenizer;
  chatTemplate: ChatTemplate | undefined;
  /** generation_config.json, as written (empty when absent). */
  generationConfig: Record<string, unknown>;
}

export interface LoadOptions {
  /** Engine threads; default one per hardware thread. */
  threads?: number;
  /** "cpu" (default), "cuda", or "auto": CUDA when a GPU with BF16 tensor cores answers, else the CPU. */
  device?: Device;
  /** The CUDA engine's matrix products: cuBLAS when the build has it, else our WMMA kernels. */
  gemm?: GemmBackend;
}

export async function loadCheckpoint(dirInput: string, options: LoadOptions = {}): Promise<LoadedCheckpoint> {
  const dir = resolve(dirInput);
  if (!existsSync(dir)) throw new CheckpointError(dir, "folder not found");
  const configFile = join(dir, "config.json");
  const architecture = readArchitecture(readJSON(configFile), configFile);
  const generationConfig = readOptionalJSON(join(dir, "generation_config.json"));
  const stops = [architecture.stopIds, toIds(generationConfig.eos_token_id)].flat();
  architecture.stopIds = [...new Set(stops)];
  checkSpecialIds(architecture, join(dir, "generation_config.json"));

  const { files, tensors } = locateWeights(dir, architecture);
  const device = options.device ?? "cpu";
  if (device === "cpu" || (device === "auto" && native().cudaInfo().devices === 0)) checkFitsInMemory(dir, tensors);
  const tokenizerFile = join(dir, "tokenizer.json");
  const tokenizerConfigFile = join(dir, "tokenizer_config.json");
  const tokenizerConfig = readOptionalJSON(tokenizerConfigFile);
  const tokenizer = new TextTokenizer(readJSON(tokenizerFile), tokenizerConfig, tokenizerFile);
  const templateSource = chatTemplateSource(tokenizerConfig);
  const chatTemplate = templateSource
    ? new ChatTemplate(templateSource, specialTokens(tokenizerConfig), tokenizerConfigFile)
    : undefined;

  const model = await native().loadModel(architecture.shape, files, tensors, options.threads ?? 0, {
    device,
    ...(options.gemm ? { gemm: options.gemm } : {}),
  });
  return { dir, architecture, model, tokenizer, chatTemplate, generationConfig };
}

/** Finds every weight the engine needs and checks its dtype and shape before any byte is read. */
export function locateWeights(dir: string, architecture: Architecture) {
  const available = readCheckpointTensors(dir);
  const files: string[] = [];
  const tensors: Record<string, NativeTensor> = {};
  for (const [key, { name }] of architecture.tensorNames) {
    const info = available.get(name);
    if (!info) throw new CheckpointError(dir, `missing tensor ${name}`);
    if (!isLoadable(info.dtype)) {
      throw new CheckpointError(info.file, `tensor ${name} has dtype ${info.dtype}; F32, F16 and BF16 load`);
    }
    const expected = expectedShape(key, architecture.shape);
    if (JSON.stringify(info.shape) !== JSON.stringify(expected)) {
      throw new CheckpointError(
        info.file,
        `tensor ${name} has shape ${JSON.stringify(info.shape)}, expected ${JSON.stringify(expected)} from config.json`,
      );
    }
    if (!files.includes(info.file)) files.push(info.file);
    tensors[key] = { name, file: files.indexOf(info.file), offset: info.offset, dtype: info.dtype, shape: info.shape };
  }
  return { files, tensors };
}

export function readJSON(file: string): Record<string, unknown> {
  if (!existsSync(file)) throw new CheckpointError(file, "file not found");
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(file, "utf8"));
  } catch (error) {
    throw new CheckpointError(file, `not valid JSON (${(error as Error).message})`);
  }
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) {
    throw new CheckpointError(file, "expected a JSON object");
  }
  return parsed as Record<string, unknown>;
}

function readOptionalJSON(file: string): Record<string, unknown> {
  return existsSync(file) ? readJSON(file) : {};
}

function toIds(value: unknown): number[] {
  if (typeof value === "number") return [value];
  return Array.isArray(value) ? value.filter((v): v is number => typeof v === "number") : [];
}

/** bos_token, eos_token… as strings for the template (tokenizer_config may hold them as objects). */
function specialTokens(config: Record<string, unknown>): Record<string, string> {
  const tokens: Record<string, string> = {};
  for (const key of ["bos_token", "eos_token", "pad_token", "unk_token", "mask_token"]) {
    const value = config[key];
    if (typeof value === "string") tokens[key] = value;
    else if (typeof value === "object" && value && typeof (value as { content?: unknown }).content === "string") {
      tokens[key] = (value as { content: string }).content;
    }
  }
  return tokens;
}
