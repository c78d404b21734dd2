// The model specifications hold every user of a family's facts together: a config each family
// writes reads back as the same shape, every engine weight has one checkpoint and one GGUF name,
// the parameter count is the sum of the written tensors, and the bench's Python manifest names
// LLaDA's tensors as the loader does (both read model-spec/llada.tensors.json).
import { execFileSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { checkpointTensorNames, readArchitecture, type TensorSource } from "../src/checkpoint/architecture";
import { ggufTensorSources } from "../src/checkpoint/gguf-architecture";
import { countParameters, engineWeights, FAMILY_SPECS, tensorName } from "../src/model-spec";
import { LLADA2_BLOCK_SIZE } from "../src/model-spec/llada2";
import type { ModelShape } from "../src/native";

const SHAPE: ModelShape = {
  vocab: 300,
  dim: 64,
  layers: 3,
  heads: 4,
  kvHeads: 2,
  headDim: 16,
  ffn: 96,
  eps: 1e-6,
  ropeTheta: 500000,
  qkvBias: true,
  tiedEmbeddings: false,
};

/**
 * Each name is one weight's, but for a layer's experts (stacked in GGUF files) and fused tensors,
 * whose weights' row ranges tile its rows in order.
 */
function expectNamedOnce(sources: Map<string, TensorSource>): void {
  const groups = new Map<string, [string, TensorSource][]>();
  for (const [key, source] of sources) groups.set(source.name, [...(groups.get(source.name) ?? []), [key, source]]);
  for (const group of groups.values()) {
    if (group.length === 1) continue;
    if (group.every(([key]) => key.includes(".experts."))) {
      expect(new Set(group.map(([key]) => key.replace(/experts\.\d+\./, ""))).size).toBe(1);
      expect(group.every(([, source]) => source.rows === undefined)).toBe(true); // stacked, not fused
      continue;
    }
    const ranges = group.map(([, source]) => source.rows);
    expect(ranges.map((r) => r?.begin)).toEqual([0, ...ranges.slice(0, -1).map((r) => r?.end)]);
    expect(ranges.at(-1)?.end).toBe(ranges[0]?.of);
  }
}

/** The shape of a model of `family` (each family's fixed traits: Dream's biases, LLaDA-MoE's experts, SDAR's q/k norms). */
function shapeFor(family: string): ModelShape {
  if (family === "dream" || family === "fast-dllm-v2") return SHAPE;
  if (family === "llada") return { ...SHAPE, qkvBias: false };
  if (family === "sdar") return { ...SHAPE, qkvBias: false, qkNorm: true, headDim: 24 }; // its own head_dim
  if (family === "llada2") {
    // Its own head_dim, half of each head rotated, grouped sigmoid routing, one shared expert.
    const routed = { experts: 8, expertsPerToken: 2, expertFfn: 32, sharedExpertFfn: 32, expertBias: true };
    const router = { normTopK: true, router: "sigmoid" as const, groups: 4, groupsKept: 2, routedScale: 2.5 };
    const moe = { ...routed, ...router, layers: [false, true, true] };
    return { ...SHAPE, qkvBias: false, qkNorm: true, headDim: 24, ropeDim: 12, moe };
  }
  const moe = { experts: 8, expertsPerToken: 2, expertFfn: 32, sharedExpertFfn: 16, expertBias: true, normTopK: false };
  return { ...SHAPE, qkvBias: false, qkNorm: true, moe: { ...moe, layers: [false, true, true] } };
}

describe.each(Object.values(FAMILY_SPECS))("the $family specification", (spec) => {
  it("writes a config that reads back as the same shape, ids and context", () => {
    const shape = shapeFor(spec.family);
    for (const variant of [shape, { ...shape, tiedEmbeddings: true }]) {
      const config = spec.writeConfig(variant, { mask: 299, eos: 298, pad: 297 }, 1024);
      const architecture = readArchitecture(config, "config.json");
      expect(architecture.family).toBe(spec.family);
      expect(architecture.shape).toEqual(variant);
      expect([architecture.maskId, architecture.stopIds, architecture.padId]).toEqual([299, [298], 297]);
      expect(architecture.contextLength).toBe(1024);
      expect(architecture.shiftLogits).toBe(spec.shiftLogits);
      // LLaDA2's config names no block size: its generate's block_length is the family's.
      const blockSize = spec.family === "llada2" ? LLADA2_BLOCK_SIZE : (config.block_size ?? config.bd_size);
      expect(architecture.blockSize ?? 0).toBe(spec.blockSize !== undefined ? blockSize : 0);
    }
  });

  it("refuses scaled or partial RoPE by key rather than computing the wrong angles", () => {
    const config = spec.writeConfig(shapeFor(spec.family), { mask: 299, eos: 298 }, 1024);
    const read = (change: Record<string, unknown>) => () => readArchitecture({ ...config, ...change }, "config.json");
    expect(read({ rope_scaling: { type: "yarn", factor: 4 } })).toThrow(
      /rope_scaling \{"type":"yarn","factor":4\}: scaled RoPE/,
    );
    if (spec.family === "llada2") {
      // Partial rotary is LLaDA2's own: the factor is read, not refused.
      expect(readArchitecture({ ...config, partial_rotary_factor: 0.25 }, "config.json").shape.ropeDim).toBe(6);
    } else {
      expect(read({ partial_rotary_factor: 0.5 })).toThrow(/partial_rotary_factor 0.5: partial RoPE/);
    }
    expect(read({ rope_scaling: null, partial_rotary_factor: 1 })).not.toThrow();
  });

  it("names every engine weight once in checkpoints and GGUF files (or as a row range of one fused tensor, or one expert of a stack)", () => {
    const shape = shapeFor(spec.family);
    expectNamedOnce(checkpointTensorNames(spec, shape));
    if (spec.gguf) expectNamedOnce(ggufTensorSources(spec.family, shape));
    expect([...checkpointTensorNames(spec, shape).values()].map((s) => s.name)).toContain(
      tensorName(spec, "layers.0.down"),
    );
  });
});

it("SDAR's mixture-of-experts config (Qwen3-MoE's keys) reads back as the same shape, dense layers included", () => {
  const moe = { experts: 8, expertsPerToken: 2, expertFfn: 32, sharedExpertFfn: 0, expertBias: false, normTopK: true };
  const shape: ModelShape = { ...SHAPE, qkvBias: false, qkNorm: true, moe: { ...moe, layers: [false, true, true] } };
  const config = FAMILY_SPECS.sdar.writeConfig(shape, { mask: 299, eos: 298 }, 1024);
  expect(config.architectures).toEqual(["SDARMoeForCausalLM"]);
  expect(config.mlp_only_layers).toEqual([0]);
  expect(readArchitecture(config, "config.json").shape).toEqual(shape);
  // decoder_sparse_step 2: experts in layers 1, 3, 5 …
  const stepped = readArchitecture({ ...config, mlp_only_layers: [], decoder_sparse_step: 2 }, "config.json");
  expect(stepped.shape.moe?.layers).toEqual([false, true, false]);
  expect(() => readArchitecture({ ...config, shared_expert_intermediate_size: 64 }, "config.json")).toThrow(
    /shared_expert_intermediate_size 64/,
  );
});

it("the parameter count is the sum of the engine weights' sizes (q/k/v biases included, a tied head once)", () => {
  const sizes = (shape: ModelShape) =>
    [...engineWeights(shape).values()].reduce((sum, dims) => sum + dims.reduce((a, b) => a * b, 1), 0);
  expect(countParameters(SHAPE)).toBe(sizes(SHAPE));
  const q = SHAPE.heads * SHAPE.headDim;
  const kv = SHAPE.kvHeads * SHAPE.headDim;
  const perLayer = 2 * SHAPE.dim + 2 * q * SHAPE.dim + 2 * kv * SHAPE.dim + q + 2 * kv + 3 * SHAPE.dim * SHAPE.ffn;
  expect(countParameters(SHAPE)).toBe(2 * SHAPE.vocab * SHAPE.dim + SHAPE.dim + SHAPE.layers * perLayer);
  expect(countParameters({ ...SHAPE, tiedEmbeddings: true })).toBe(countParameters(SHAPE) - SHAPE.vocab * SHAPE.dim);
});

it("the bench's Python manifest names LLaDA's tensors as the loader does", () => {
  const script = fileURLToPath(new URL("../../../bench/default_model_manifest.py", import.meta.url));
  const python = `import importlib.util, json, sys
spec = importlib.util.spec_from_file_location("manifest", sys.argv[1]); m = importlib.util.module_from_spec(spec)
spec.loader.exec_module(m); print(json.dumps(m.tensor_names(3, True, False)))`;
  const fromPython = JSON.parse(execFileSync("python3", ["-c", python, script], { encoding: "utf8" }));
  const architecture = readArchitecture(FAMILY_SPECS.llada.writeConfig(SHAPE, { mask: 1, eos: 2 }, 64), "config.json");
  expect(Object.entries(fromPython)).toEqual([...architecture.tensorNames].map(([key, { name }]) => [key, name]));
});
