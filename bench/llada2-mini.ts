// A LLaDA2.0-mini-shaped model on this CPU (`pnpm bench`): random weights written as a Q4_K_M GGUF
// file in llama.cpp's llada2 layout (d 2048, 20 layers, 16 heads of 128 over 4 KV heads, half of each
// head rotated, a dense first layer, then 256 experts of width 512 in 8 groups with 8 per token and a
// shared expert, vocab 157184: 16.3B parameters, about 1.4B active per token), measured in its own
// process as bench/llada-moe.ts measures LLaDA-MoE (support/random-gguf-model.ts), with its
// block-causal attention in blocks of 32: a prefill over the canvas, then one block over the cache.
// It answers whether the 16B model in 4 bits runs on a 24 GB machine, and how fast.
// Writes bench/results/llada2-mini.json. Needs ~10 GB of disk in the temp folder and ~11 GB of memory.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { LLADA2, LLADA2_BLOCK_SIZE } from "../packages/backend/src/model-spec/llada2";
import type { ModelShape } from "../packages/backend/src/native";
import { benchRandomModel, measureForwards, type RandomModel } from "./support/random-gguf-model";
import { writeResults } from "./support/write-results";

const THREADS = 2;
const CANVAS = 288;
const LAYERS = 20;
/** inclusionAI/LLaDA2.0-mini's config.json, as the engine reads it. */
const SHAPE: ModelShape = LLADA2.readConfig(
  {
    architectures: ["LLaDA2MoeModelLM"],
    vocab_size: 157184,
    hidden_size: 2048,
    num_hidden_layers: LAYERS,
    num_attention_heads: 16,
    num_key_value_heads: 4,
    head_dim: 128,
    intermediate_size: 5120,
    moe_intermediate_size: 512,
    num_experts: 256,
    num_experts_per_tok: 8,
    num_shared_experts: 1,
    n_group: 8,
    topk_group: 4,
    routed_scaling_factor: 2.5,
    first_k_dense_replace: 1,
    partial_rotary_factor: 0.5,
    rms_norm_eps: 1e-6,
    rope_theta: 600000,
    max_position_embeddings: 32768,
    use_bias: false,
    use_qkv_bias: false,
    use_qk_norm: true,
    score_function: "sigmoid",
  },
  "LLaDA2.0-mini config.json",
).shape;
const MODEL: RandomModel = {
  family: "llada2",
  shape: SHAPE,
  ids: { eos: LLADA2.ids.eos, mask: LLADA2.ids.mask },
  name: "random LLaDA2.0-mini",
};

if (process.argv[2] === "--child") {
  const file = process.argv[3] as string;
  process.stdout.write(JSON.stringify(await measureForwards(file, THREADS, CANVAS, LLADA2_BLOCK_SIZE)));
} else {
  const scratch = mkdtempSync(join(process.env.ANNEAL_BENCH_DIR ?? tmpdir(), "anneal-llada2-"));
  const rows = [];
  try {
    const file = join(scratch, "llada2-mini-random-q4_k_m.gguf");
    const row = benchRandomModel(fileURLToPath(import.meta.url), file, MODEL, "q4_k_m");
    console.log(
      `q4_k_m: ${row.weights} ${row.fileGiB} GiB file, ${(row.parameters / 1e9).toFixed(2)}B parameters, loaded in ${row.loadSeconds} s, rss ${row.rssGiB} GiB; block-causal prefill over the ${CANVAS}-token canvas ${row.canvasForwardSeconds} s, one 32-token block over the cache ${row.blockForwardSeconds} s (${row.kernels} kernels, ${row.int8} int8, ${THREADS} threads)`,
    );
    rows.push(row);
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
  writeResults("llada2-mini", {
    measured: new Date().toISOString(),
    shape: SHAPE,
    threads: THREADS,
    canvas: CANVAS,
    blockSize: LLADA2_BLOCK_SIZE,
    rows,
  });
}
