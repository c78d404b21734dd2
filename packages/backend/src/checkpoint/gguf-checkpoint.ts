// A GGUF file as a checkpoint: the architecture and tokenizer from its metadata, and every weight
// the engine needs located in the file (checked for presence, shape and type before any is read).
import { CheckpointError } from "../errors";
import { weightShape } from "../model-spec";
import type { NativeTensor } from "../native";
import { bytesPerElement, GgufMetadata, ggmlTypeName, readGguf } from "./gguf";
import { ggufArchitecture, interleavesRope } from "./gguf-architecture";
import { tokenizerFromGguf } from "./gguf-tokenizer";
import type { CheckpointParts } from "./load";

export function readGgufCheckpoint(file: string, warn: (message: string) => void): CheckpointParts {
  const gguf = readGguf(file);
  const architecture = ggufArchitecture(gguf);
  const tokenizer = tokenizerFromGguf(new GgufMetadata(gguf, ""), file, warn);
  const tensors: Record<string, NativeTensor> = {};
  const interleaved = interleavesRope(architecture.family);
  for (const [key, { name, rows }] of architecture.tensorNames) {
    const tensor = gguf.tensors.get(name);
    if (!tensor) throw new CheckpointError(file, `missing tensor ${name}`);
    if (!tensor.dtype) {
      throw new CheckpointError(
        file,
        `tensor ${name} is ${ggmlTypeName(tensor.type)}; F32, F16, BF16, Q8_0, Q4_0, Q4_K, Q5_K and Q6_K load`,
      );
    }
    const expected = weightShape(key, architecture.shape);
    const [height, ...rest] = expected as [number, ...number[]];
    // llama.cpp stacks a layer's experts into one [experts][rows][columns] tensor: expert x is a slice;
    // and fuses LLaDA2's q, k and v into one attn_qkv: each is a range of its rows.
    const expert = /\.experts\.(\d+)\./.exec(key)?.[1];
    const whole =
      expert !== undefined ? [architecture.shape.moe?.experts ?? 0, ...expected] : [rows ? rows.of : height, ...rest];
    if (JSON.stringify(tensor.shape) !== JSON.stringify(whole)) {
      throw new CheckpointError(
        file,
        `tensor ${name} has shape ${JSON.stringify(tensor.shape)}, expected ${JSON.stringify(whole)} from the metadata`,
      );
    }
    const leaf = key.split(".").at(-1) as string;
    const rope = interleaved && ["q", "k", "q_bias", "k_bias"].includes(leaf);
    // Block-quantized rows are whole blocks, so a row starts at a multiple of the row's bytes.
    const rowBytes = rest.reduce((a, b) => a * b, 1) * bytesPerElement(tensor.dtype);
    const skipped = expert !== undefined ? Number(expert) * height : (rows?.begin ?? 0);
    tensors[key] = {
      name,
      file: 0,
      offset: tensor.offset + skipped * rowBytes,
      dtype: tensor.dtype,
      shape: expected,
      ...(rope ? { interleavedHeadDim: architecture.shape.headDim } : {}),
    };
  }
  return {
    architecture,
    weights: { files: [file], tensors },
    tokenizerJson: tokenizer.tokenizerJson,
    tokenizerConfig: tokenizer.tokenizerConfig,
    tokenizerFile: file,
    templateFile: file,
    templateSource: tokenizer.chatTemplate,
    generationConfig: {},
  };
}
