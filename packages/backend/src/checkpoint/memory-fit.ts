// A checkpoint too large for this machine's memory is refused before anything is mapped or read,
// with the size it needs and the memory there is — not after minutes of loading and an OOM kill.
import { freemem } from "node:os";
import { CheckpointError } from "../errors";
import type { NativeTensor, TensorDType } from "../native";
import { bytesPerElement, GGML_TYPE_IDS, GGML_TYPES } from "./gguf";
import type { QuantizeChoice } from "./load";

/** What each quantize-at-load target makes of the matrices (Q4_K's Q6_K head counted as Q4_K). */
const QUANTIZED_TYPE: Record<QuantizeChoice, TensorDType> = { q8_0: "Q8_0", q4_k: "Q4_K" };

/**
 * The bytes the CPU engine will hold for these weights: each in its stored dtype, as the engine
 * keeps them (quantized ones by their blocks), or matrices at the quantize-at-load target's size.
 */
function heldWeightBytes(tensors: Record<string, NativeTensor>, quantize?: QuantizeChoice): number {
  let total = 0;
  for (const tensor of Object.values(tensors)) {
    const elements = tensor.shape.reduce((product, d) => product * d, 1);
    const blockQuantized = (GGML_TYPES[GGML_TYPE_IDS[tensor.dtype]]?.block ?? 1) > 1;
    const perElement =
      blockQuantized || !quantize || tensor.shape.length !== 2
        ? bytesPerElement(tensor.dtype)
        : bytesPerElement(QUANTIZED_TYPE[quantize]);
    total += elements * perElement;
  }
  return total;
}

const gib = (bytes: number) => `${(bytes / 2 ** 30).toFixed(1)} GiB`;

/** Throws when the weights cannot fit in the memory available now (`available` for tests). */
export function checkFitsInMemory(
  dir: string,
  tensors: Record<string, NativeTensor>,
  quantize?: QuantizeChoice,
  available = freemem(),
): void {
  const needed = heldWeightBytes(tensors, quantize);
  if (needed > available) {
    throw new CheckpointError(
      dir,
      `the weights need ${gib(needed)} of memory and this machine has ${gib(available)} available; use a smaller or quantized model (GGUF, or --quantize q8_0 or q4_k)`,
    );
  }
}
