// A checkpoint too large for this machine's memory is refused before anything is mapped or read,
// with the size it needs and the memory there is — not after minutes of loading and an OOM kill.
import { freemem } from "node:os";
import { CheckpointError } from "../errors";
import type { NativeTensor } from "../native";
import { dtypeBytes } from "./safetensors";

/** The bytes the CPU engine will hold for these weights: each in its stored dtype, as the engine keeps them. */
export function heldWeightBytes(tensors: Record<string, NativeTensor>): number {
  let total = 0;
  for (const tensor of Object.values(tensors)) {
    const elements = tensor.shape.reduce((product, d) => product * d, 1);
    total += elements * dtypeBytes(tensor.dtype);
  }
  return total;
}

const gib = (bytes: number) => `${(bytes / 2 ** 30).toFixed(1)} GiB`;

/** Throws when the weights cannot fit in the memory available now (`available` for tests). */
export function checkFitsInMemory(dir: string, tensors: Record<string, NativeTensor>, available = freemem()): void {
  const needed = heldWeightBytes(tensors);
  if (needed > available) {
    throw new CheckpointError(
      dir,
      `the weights need ${gib(needed)} of memory and this machine has ${gib(available)} available; use a smaller or 16-bit checkpoint`,
    );
  }
}
