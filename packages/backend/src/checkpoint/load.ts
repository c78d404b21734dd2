// Loads a model: a Hugging Face checkpoint folder (config, safetensors weights, tokenizer files,
// chat template, generation defaults) or a GGUF file (everything from its metadata), into the
// native engine. Every problem names its file.
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { join, resolve } from "node:path";
import { CheckpointError } from "../errors";
import { type ModelVariant, modelVariant, weightShape } from "../model-spec";
import { servedDecoding } from "../model-spec/decoding-defaults";
import {
  type Bf16Products,
  type Device,
  type GemmBackend,
  type NativeModel,
  type NativeTensor,
  native,
} from "../native";
import { type Architecture, checkSpecialIds, readArchitecture } from "./architecture";
import { ChatTemplate, chatTemplateSource } from "./chat-template";
import { readGgufCheckpoint } from "./gguf-checkpoint";
import { hubIdOf } from "./hub-cache";
import { type HubLoadOptions, resolveHubModel } from "./hub-download";
import { checkFitsInMemory } from "./memory-fit";
import { elementBytes, isLoadable, readCheckpointTensors } from "./safetensors";
import { TextTokenizer } from "./tokenizer";

export interface LoadedCheckpoint {
  /** The folder or GGUF file it came from. */
  dir: string;
  architecture: Architecture;
  model: NativeModel;
  tokenizer: TextTokenizer;
  chatTemplate: ChatTemplate | undefined;
  /** generation_config.json, as written (empty when absent). */
  generationConfig: Record<string, unknown>;
  /** Which published model this is (LLaDA-1.5, DiffuCoder…) and the decoding its authors publish. */
  variant: ModelVariant;
}

export interface CheckpointWeights {
  files: string[];
  tensors: Record<string, NativeTensor>;
}

/** What a folder or a GGUF file provides, before anything is loaded into the engine. */
export interface CheckpointParts {
  architecture: Architecture;
  weights: CheckpointWeights;
  tokenizerJson: object;
  tokenizerConfig: Record<string, unknown>;
  /** For errors about the tokenizer and the chat template. */
  tokenizerFile: string;
  templateFile: string;
  templateSource: string | undefined;
  generationConfig: Record<string, unknown>;
}

/** Float matrices quantized at load (CPU engine): Q8_0, or Q4_K with a Q6_K head. */
export const QUANTIZE_CHOICES = ["q8_0", "q4_k"] as const;
export type QuantizeChoice = (typeof QUANTIZE_CHOICES)[number];

export interface LoadOptions {
  /** Engine threads; default one per hardware thread. */
  threads?: number;
  /** "cpu" (default), "cuda", or "auto": CUDA when a GPU with BF16 tensor cores answers, else the CPU. */
  device?: Device;
  /** The CUDA engine's matrix products: cuBLAS when the build has it, else our WMMA kernels. */
  gemm?: GemmBackend;
  /** Quantize float matrices at load (CPU engine); quantized files are used as they are. */
  quantize?: QuantizeChoice;
  /** BF16 matrices on the CPU: "dot" (default where the CPU has AVX-512 BF16) or "widen" (exact float32). */
  bf16?: Bf16Products;
  /** Non-fatal notes (e.g. an unknown GGUF pre-tokenizer); default: printed to stderr. */
  warn?: (message: string) => void;
  /** For Hub ids: offline mode, download progress, endpoint and token. */
  hub?: HubLoadOptions;
}

/**
 * `path` is a checkpoint folder, a .gguf file, a folder holding exactly one .gguf file (and no
 * config.json), or a Hugging Face Hub id `org/name[@revision][:pattern]`: from the local cache, or
 * downloaded into it unless offline.
 */
export async function loadCheckpoint(path: string, options: LoadOptions = {}): Promise<LoadedCheckpoint> {
  const dir = await locateModel(path, options.hub);
  const warn = options.warn ?? ((message: string) => process.stderr.write(`warning: ${message}\n`));
  const gguf = ggufFileOf(dir);
  const parts = gguf ? readGgufCheckpoint(gguf, warn) : readCheckpointFolder(dir);
  const { architecture, weights } = parts;
  // Block-causal attention is the CPU engine's for now: "auto" keeps such models there, "cuda" is refused.
  const blockCausal = (architecture.blockSize ?? 0) > 0;
  if (blockCausal && options.device === "cuda") {
    throw new CheckpointError(
      dir,
      `${architecture.family} decodes in blocks with block-causal attention, which the CUDA engine does not have yet; use --device cpu (or auto)`,
    );
  }
  const device = blockCausal ? "cpu" : (options.device ?? "cpu");
  const onCpu =
    device === "cpu" || (device === "auto" && (options.quantize !== undefined || native().cudaInfo().devices === 0));
  if (onCpu) checkFitsInMemory(dir, weights.tensors, options.quantize);
  const tokenizer = new TextTokenizer(parts.tokenizerJson, parts.tokenizerConfig, parts.tokenizerFile);
  const chatTemplate = parts.templateSource
    ? new ChatTemplate(parts.templateSource, specialTokens(parts.tokenizerConfig), parts.templateFile)
    : undefined;

  const model = await native().loadModel(architecture.shape, weights.files, weights.tensors, options.threads ?? 0, {
    device,
    ...(options.gemm ? { gemm: options.gemm } : {}),
    ...(options.quantize ? { quantize: options.quantize } : {}),
    ...(options.bf16 ? { bf16: options.bf16 } : {}),
  });
  const named = modelVariant(architecture.family, `${path} ${dir}`, (token) => tokenizer.tokenId(token) !== undefined);
  const generationFile = join(dir, "generation_config.json");
  const variant = { ...named, decoding: servedDecoding(named.decoding, parts.generationConfig, generationFile) };
  // A variant's own end markers (DiffuCoder pads its answers with <|dlm_pad|>) end answers too.
  const variantStops = (variant.decoding.stopTokens ?? []).map((token) => tokenizer.tokenId(token));
  architecture.stopIds = [...new Set([...architecture.stopIds, ...variantStops.filter((id) => id !== undefined)])];
  return { dir, architecture, model, tokenizer, chatTemplate, generationConfig: parts.generationConfig, variant };
}

/** The folder or file `path` names: itself, or a Hub id's copy in the local Hugging Face cache. */
export async function locateModel(path: string, hub: HubLoadOptions = {}): Promise<string> {
  const id = hubIdOf(path);
  if (id) return resolveHubModel(path, id, hub);
  const local = resolve(path);
  if (!existsSync(local)) throw new CheckpointError(local, "folder or file not found");
  return local;
}

/** The GGUF file `path` names (itself, or the only one in a folder without config.json). */
function ggufFileOf(path: string): string | undefined {
  if (!statSync(path).isDirectory()) {
    if (path.endsWith(".gguf")) return path;
    throw new CheckpointError(path, "not a checkpoint folder or a .gguf file");
  }
  if (existsSync(join(path, "config.json"))) return undefined;
  const ggufs = readdirSync(path).filter((name) => name.endsWith(".gguf"));
  if (ggufs.length > 1) {
    throw new CheckpointError(path, `holds ${ggufs.length} .gguf files (${ggufs.join(", ")}); name the one to load`);
  }
  return ggufs.length === 1 ? join(path, ggufs[0] as string) : undefined;
}

/** A Hugging Face checkpoint folder's parts. */
export function readCheckpointFolder(dir: string): CheckpointParts {
  const configFile = join(dir, "config.json");
  const architecture = readArchitecture(readJSON(configFile), configFile);
  const generationConfig = readOptionalJSON(join(dir, "generation_config.json"));
  const stops = [architecture.stopIds, toIds(generationConfig.eos_token_id)].flat();
  architecture.stopIds = [...new Set(stops)];
  checkSpecialIds(architecture, join(dir, "generation_config.json"));
  const tokenizerFile = join(dir, "tokenizer.json");
  const tokenizerConfigFile = join(dir, "tokenizer_config.json");
  const tokenizerConfig = readOptionalJSON(tokenizerConfigFile);
  return {
    architecture,
    weights: locateWeights(dir, architecture),
    tokenizerJson: readJSON(tokenizerFile),
    tokenizerConfig,
    tokenizerFile,
    templateFile: tokenizerConfigFile,
    templateSource: chatTemplateSource(tokenizerConfig),
    generationConfig,
  };
}

/** Finds every weight the engine needs and checks its dtype and shape before any byte is read. */
export function locateWeights(dir: string, architecture: Architecture): CheckpointWeights {
  const available = readCheckpointTensors(dir);
  const files: string[] = [];
  const tensors: Record<string, NativeTensor> = {};
  for (const [key, { name, rows }] of architecture.tensorNames) {
    const info = available.get(name);
    if (!info) throw new CheckpointError(dir, `missing tensor ${name}`);
    if (!isLoadable(info.dtype)) {
      throw new CheckpointError(info.file, `tensor ${name} has dtype ${info.dtype}; F32, F16 and BF16 load`);
    }
    const [height, ...rest] = weightShape(key, architecture.shape) as [number, ...number[]];
    // A fused tensor (q|k|v) holds this weight's rows among others': its whole shape is checked here.
    const expected = [rows ? rows.of : height, ...rest];
    if (JSON.stringify(info.shape) !== JSON.stringify(expected)) {
      throw new CheckpointError(
        info.file,
        `tensor ${name} has shape ${JSON.stringify(info.shape)}, expected ${JSON.stringify(expected)} from config.json`,
      );
    }
    if (!files.includes(info.file)) files.push(info.file);
    // Rows are contiguous in a row-major tensor: a range of them is an offset and a shorter shape.
    const rowBytes = rest.reduce((a, b) => a * b, 1) * elementBytes(info.dtype);
    tensors[key] = {
      name,
      file: files.indexOf(info.file),
      offset: info.offset + (rows ? rows.begin * rowBytes : 0),
      dtype: info.dtype,
      shape: rows ? [rows.end - rows.begin, ...rest] : info.shape,
    };
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
