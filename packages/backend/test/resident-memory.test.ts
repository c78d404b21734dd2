// Resident memory after loading is about the weights' size, not twice it: a float file's mapping is
// let go once its matrices are copied into panels, the memory of loading's float buffers goes back to
// the system, and a quantized file's blocks are used where they lie. Measured in a fresh process.
import { execFileSync } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { exportGguf } from "../src/checkpoint/gguf-export";
import { writeCheckpoint } from "./support/write-checkpoint";

/** Resident bytes a fresh process gains by loading `path`, and the engine's own count of its weights. */
function residentAfterLoading(path: string, quantize?: string): { resident: number; weights: number } {
  const load = fileURLToPath(new URL("../src/checkpoint/load.ts", import.meta.url));
  const script = `
    const { loadCheckpoint } = await import(${JSON.stringify(load)});
    const before = process.memoryUsage().rss;
    const { model } = await loadCheckpoint(${JSON.stringify(path)}, ${JSON.stringify(quantize ? { quantize } : {})});
    console.log(JSON.stringify({ resident: process.memoryUsage().rss - before, weights: model.info().weightBytes }));`;
  const out = execFileSync(process.execPath, ["--import", "tsx", "--input-type=module", "-e", script], {
    encoding: "utf8",
  });
  return JSON.parse(out.trim().split("\n").at(-1) as string);
}

describe("resident memory after loading", () => {
  // ~30M parameters: 61 MB in BF16, large enough that a second copy could not hide in the noise.
  const checkpoint = writeCheckpoint({
    dtype: "BF16",
    vocab: 16384,
    dim: 512,
    layers: 4,
    heads: 8,
    kvHeads: 8,
    ffn: 1536,
  });
  const scratch = mkdtempSync(join(tmpdir(), "anneal-resident-"));

  it.each([
    ["a BF16 safetensors checkpoint", () => residentAfterLoading(checkpoint.dir)],
    ["the same quantized to Q8_0 at load", () => residentAfterLoading(checkpoint.dir, "q8_0")],
    [
      "the same as a Q8_0 GGUF file",
      () => {
        const file = join(scratch, "model-q8_0.gguf");
        exportGguf(checkpoint.dir, file, "q8_0");
        return residentAfterLoading(file);
      },
    ],
  ])("%s: at most 1.3× the weights' bytes", (_, measure) => {
    const { resident, weights } = measure();
    expect(weights).toBeGreaterThan(25 * 2 ** 20);
    expect(resident).toBeLessThan(1.3 * weights);
  });
});
