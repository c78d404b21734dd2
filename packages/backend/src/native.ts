// Loads the C++ addon built by native/build.mjs and types what it exports.
import { createRequire } from "node:module";

export interface ModelShape {
  vocab: number;
  dim: number;
  layers: number;
  heads: number;
  kvHeads: number;
  headDim: number;
  ffn: number;
  eps: number;
  ropeTheta: number;
  qkvBias: boolean;
  tiedEmbeddings: boolean;
  /** Each head of q and k RMS-normalised (weights of headDim values) before RoPE (LLaDA-MoE). */
  qkNorm?: boolean;
  /** Partial rotary (LLaDA2): only each head's first ropeDim values are rotated; absent: all of them. */
  ropeDim?: number;
  /** A mixture-of-experts MLP (LLaDA-MoE); absent for dense models. */
  moe?: MoeShape;
}

/**
 * How the CPU engine multiplies BF16 matrices: "dot" on the CPU's BF16 dot-product instruction
 * (AVX-512 BF16; the activations rounded to BF16, as GPUs do), or "widen": the weights widened to
 * float32, exactly the float32 product. "dot" is the default where the CPU has it.
 */
export type Bf16Products = "dot" | "widen";

/** How a mixture-of-experts MLP is built (engine.h's ModelConfig says how it routes). */
export interface MoeShape {
  experts: number;
  expertsPerToken: number;
  /** Each expert's SwiGLU width. */
  expertFfn: number;
  /** A shared expert's width, 0 for none. */
  sharedExpertFfn: number;
  /** A learned bias added to the router's probabilities before choosing. */
  expertBias: boolean;
  /** Whether the chosen experts' weights are renormalised to sum to one. */
  normTopK: boolean;
  /** Per layer, whether it has the mixture (the others a dense MLP of width `ffn`); absent: all do. */
  layers?: boolean[];
  /**
   * How experts are scored: softmax (LLaDA-MoE, Qwen3-MoE; the default) or sigmoid (LLaDA2: the
   * expert bias only steers the choice, the weights are the unbiased scores).
   */
  router?: "softmax" | "sigmoid";
  /** LLaDA2's group-limited routing: experts in this many equal groups, each scored by its two best. */
  groups?: number;
  /** Only the best this many groups' experts may be chosen. */
  groupsKept?: number;
  /** The routed experts' weights are multiplied by this (routed_scaling_factor; default 1). */
  routedScale?: number;
}

/** RoPE over rows of heads, as a copy; `rotaryDim`: only each head's first values turn (partial rotary). */
export type RopeKernel = (
  x: Float32Array,
  positions: Int32Array,
  heads: number,
  headDim: number,
  theta: number,
  rotaryDim?: number,
) => Float32Array;

/** GGUF's block-quantized types the engine multiplies in place (llama.cpp's exact layouts). */
export type QuantizedType = "Q8_0" | "Q4_0" | "Q4_K" | "Q5_K" | "Q6_K";
export type TensorDType = "F32" | "F16" | "BF16" | QuantizedType;

/** Where one weight lives: `file` indexes the files list; `offset` is absolute in that file. */
export interface NativeTensor {
  name: string;
  file: number;
  offset: number;
  dtype: TensorDType;
  shape: number[];
  /** A q or k projection (or bias) in llama.cpp's interleaved RoPE row order, heads of this many rows. */
  interleavedHeadDim?: number;
}

export interface NativeSampling {
  temperature?: number;
  topP?: number;
  topK?: number;
  seed?: number;
  /** Tokens never proposed (their logits count as −∞). */
  suppress?: Int32Array;
}

/** One sequence's share of a forward pass. Rows are canvas positions. */
export interface NativeSequence {
  tokens: Int32Array;
  /** Rows [rowBegin, rowEnd) are computed (default: the whole canvas). */
  rowBegin?: number;
  rowEnd?: number;
  /** The computed rows attend to positions [0, attendLength) (default rowEnd). */
  attendLength?: number;
  /**
   * Block-causal attention (block-diffusion models): the row at position p attends only up to the end
   * of its block of this size — bidirectional inside it, causal across blocks. Default 0: every row
   * attends to all of [0, attendLength).
   */
  blockSize?: number;
  /** Keys and values persist here between passes; without one, rows must cover [0, attendLength). */
  cache?: NativeKvCache | null;
  /** Positions whose logits are summarised. */
  statRows: Int32Array;
  /**
   * Constrained decoding: per stat row, the index of its allowed-token mask in `allowed`, or −1 for a
   * free row. Statistics and draws of a masked row are taken over its allowed tokens only.
   */
  statMasks?: Int32Array;
  /** The masks `statMasks` names, `vocab` bytes each (1: the token may be proposed). */
  allowed?: Uint8Array;
  wantLogits?: boolean;
  sampling?: NativeSampling;
  /** Keys the random draws together with the seed and position. */
  step?: number;
  /** Classifier-free guidance scale g: statistics come from l_u + (g + 1)(l_c − l_u). Needs no cache. */
  guidance?: number;
  /** The canvas with its prompt masked, for guidance. */
  unconditional?: Int32Array;
}

/** Per stat row: argmax, its probability, top-1 minus top-2 probability, entropy, and a seeded draw. */
export interface NativeStats {
  argmax: Int32Array;
  confidence: Float32Array;
  margin: Float32Array;
  entropy: Float32Array;
  sample: Int32Array;
  sampleProb: Float32Array;
  logits?: Float32Array;
}

export interface NativeKvCache {
  readonly capacity: number;
}

export interface NativeModel {
  forward(batch: NativeSequence[]): Promise<NativeStats[]>;
  createCache(capacity: number): NativeKvCache;
  /**
   * `device` is "cpu" or "cuda:0 <GPU name>"; `kernels` the CPU kernel set or "cuda-wmma" / "cuda-cublas".
   * The CPU engine also says how it holds its matrices (`weights`: "F32", "BF16", "Q4_K+Q6_K"…), their
   * bytes in memory (owned or mapped from the file), and which instructions its int8 products use.
   */
  info(): {
    kernels: string;
    threads: number;
    parameters: number;
    device: string;
    weights?: string;
    weightBytes?: number;
    int8?: string;
    /** How BF16 matrices are multiplied (CPU engine). */
    bf16?: Bf16Products;
  };
}

/** B sequences of T tokens, flattened: the noised canvas, the clean tokens, a loss weight per position. */
export interface NativeTrainBatch {
  batch: number;
  length: number;
  inputs: Int32Array;
  targets: Int32Array;
  weights: Float32Array;
}

export interface NativeTrainResult {
  /** Sum of weight × cross-entropy over the weighted positions. */
  loss: number;
  counted: number;
  correct: number;
  /** Global gradient norm before clipping (0 for evaluate). */
  gradNorm: number;
}

export interface AdamWSettings {
  lr: number;
  beta1?: number;
  beta2?: number;
  eps?: number;
  weightDecay?: number;
  /** Global gradient-norm limit; 0 disables. */
  clip?: number;
}

export type TensorPart = "value" | "grad" | "m" | "v";

export interface NativeTrainer {
  step(batch: NativeTrainBatch, settings: AdamWSettings): Promise<NativeTrainResult>;
  gradients(batch: NativeTrainBatch): Promise<NativeTrainResult>;
  evaluate(batch: NativeTrainBatch): Promise<NativeTrainResult>;
  /** Engine keys of the trainable tensors (embed, final_norm, head, layers.{i}.q …). */
  keys(): string[];
  get(key: string, part?: TensorPart): Float32Array;
  set(key: string, part: TensorPart, values: Float32Array): void;
  /** AdamW's step counter t (bias correction); part of an exact resume. */
  stepCount: number;
}

type KernelChoice = "portable" | "avx2" | "avx512" | "best";

export type Device = "cpu" | "cuda" | "auto";
/** Which matrix products the CUDA engine uses: our tensor-core kernels or cuBLAS (when built with it). */
export type GemmBackend = "wmma" | "cublas";

export interface EngineChoice {
  device?: Device;
  gemm?: GemmBackend;
  /** The CPU engine quantizes float matrices at load (Q8_0, or Q4_K with a Q6_K head). */
  quantize?: "q8_0" | "q4_k";
  /** The CPU engine's BF16 products (default "dot" where the CPU has the instruction). */
  bf16?: Bf16Products;
}

export interface CudaInfo {
  /** The addon was compiled with the CUDA kernels. */
  built: boolean;
  /** …and with cuBLAS (the default GEMM then). */
  cublas: boolean;
  devices: number;
  name: string;
  /** e.g. 90 for an H100; the engine needs 80 or more. */
  computeCapability: number;
  memoryGiB: number;
  /** Why no device answers, when none does. */
  error: string;
}

/** q: [rows][heads · headDim]; keys and values: [length][kvHeads · headDim]. */
type AttentionArgs = [
  q: Float32Array,
  rows: number,
  keys: Float32Array,
  values: Float32Array,
  length: number,
  heads: number,
  kvHeads: number,
  headDim: number,
];

export interface CudaKernels {
  gemm(
    x: Float32Array,
    w: Float32Array,
    bias: Float32Array | null,
    yIn: Float32Array | null,
    m: number,
    n: number,
    k: number,
    accumulate: boolean,
    backend: GemmBackend,
  ): Float32Array;
  rmsNorm(x: Float32Array, weight: Float32Array, rows: number, dim: number, eps: number): Float32Array;
  rope: RopeKernel;
  attention(...args: AttentionArgs): Float32Array;
  siluMul(gate: Float32Array, up: Float32Array): Float32Array;
  rowStats(
    logits: Float32Array,
    rows: number,
    vocab: number,
    sampling: NativeSampling | null,
    positions: number[],
    step: number,
    /** One mask of `vocab` bytes per row (1: the token may be proposed), as a sequence's `allowed`. */
    allowed?: Uint8Array,
  ): NativeStats;
}

export interface NativeAddon {
  /** Loads on the CPU unless `device` says otherwise ("auto": CUDA when a capable GPU answers). */
  loadModel(
    shape: ModelShape,
    files: string[],
    tensors: Record<string, NativeTensor>,
    threads?: number,
    options?: EngineChoice,
  ): Promise<NativeModel>;
  /** A model of this shape with random BF16 weights made on the GPU (benchmarks of large shapes). */
  createRandomModel(shape: ModelShape, seed: number, options?: EngineChoice): Promise<NativeModel>;
  /** Whether this build has CUDA kernels and whether a GPU answers. Never throws. */
  cudaInfo(): CudaInfo;
  /** The CUDA kernels on host arrays, for tests against their CPU twins (CUDA builds only). */
  cudaKernels?: CudaKernels;
  createTrainer(
    shape: ModelShape,
    init: { seed: number } | { files: string[]; tensors: Record<string, NativeTensor> },
    threads?: number,
  ): Promise<NativeTrainer>;
  /** `kernels` is the table in use; `int8` the instructions its quantized products use (portable, avx2, vnni). */
  cpuInfo(): {
    avx2: boolean;
    avx512: boolean;
    avx512Vnni: boolean;
    /** AVX-512 BF16 (vdpbf16ps), which BF16 matrices use unless a model is loaded with bf16: "widen". */
    avx512Bf16: boolean;
    kernels: string;
    int8: string;
    hardwareThreads: number;
  };
  kernels: {
    gemm(
      x: Float32Array,
      rows: number,
      w: Float32Array,
      n: number,
      k: number,
      bias: Float32Array | null,
      kernels?: KernelChoice,
    ): Float32Array;
    /** The same product with W kept as 16-bit BF16 or F16 patterns (as a checkpoint stores them). */
    gemm16(
      x: Float32Array,
      rows: number,
      w: Uint16Array,
      n: number,
      k: number,
      bias: Float32Array | null,
      dtype: "bf16" | "f16",
      kernels?: KernelChoice,
      /** "dot": BF16 weights on the BF16 dot-product instruction (activations rounded to BF16). */
      products?: Bf16Products,
    ): Float32Array;
    /**
     * The same product with W[n][k] as GGUF blocks (the activations are quantized to int8): repacked
     * into sixteen-row panels where the kernels multiply that type so (as a model holds it, two
     * panels at a time where the type has pair tiles; "panel": one at a time), or, with "rows",
     * multiplied row by row as stored.
     */
    gemmQuantized(
      x: Float32Array,
      rows: number,
      blocks: Uint8Array,
      n: number,
      k: number,
      bias: Float32Array | null,
      type: QuantizedType,
      kernels?: KernelChoice,
      layout?: "panels" | "panel" | "rows",
    ): Float32Array;
    /** One row of values (a whole number of blocks) as `type`'s GGUF blocks. */
    quantize(values: Float32Array, type: QuantizedType): Uint8Array;
    dequantize(blocks: Uint8Array, type: QuantizedType, count: number): Float32Array;
    /** One row of activations as the int8 blocks products with `weightType` take (each path's quantizer). */
    quantizeActivations(values: Float32Array, weightType: QuantizedType, kernels?: KernelChoice): Uint8Array;
    rmsNorm(
      x: Float32Array,
      weight: Float32Array,
      rows: number,
      dim: number,
      eps: number,
      kernels?: KernelChoice,
    ): Float32Array;
    /** `rotaryDim`: rotate only each head's first values (partial rotary); all of them when absent. */
    rope: RopeKernel;
    /** silu(gate) · up, element-wise; `offset`: computed from that element on, as a thread starting there would. */
    siluMul(gate: Float32Array, up: Float32Array, kernels?: KernelChoice, offset?: number): Float32Array;
    /** e^((row − shift) · scale) for each value, and their sum (softmax's numerators). */
    expShifted(
      row: Float32Array,
      shift: number,
      scale: number,
      kernels?: KernelChoice,
    ): { values: Float32Array; sum: number };
    attention(...args: [...AttentionArgs, kernels?: KernelChoice]): Float32Array;
    rowStats(
      logits: Float32Array,
      sampling: NativeSampling | null,
      position: number,
      step: number,
    ): {
      argmax: number;
      confidence: number;
      margin: number;
      entropy: number;
      sample: number;
      sampleProb: number;
    };
    /** GFLOP/s of y = x · Wᵀ with W stored as `dtype` (default F32); layout as for gemmQuantized. */
    benchGemm(
      rows: number,
      n: number,
      k: number,
      threads: number,
      milliseconds: number,
      kernels?: KernelChoice,
      dtype?: TensorDType,
      bf16?: Bf16Products,
      layout?: "panels" | "panel" | "rows",
    ): number;
    /**
     * GFLOP/s of a register-only FMA loop, with "bf16dot" of a vdpbf16ps loop (AVX-512 BF16 only), with
     * "int8dot" GOP/s of the int8 panel products' inner step (AVX-512 VNNI's dpbusd, or AVX2's
     * maddubs and an int16 add).
     */
    benchPeakFma(
      threads: number,
      milliseconds: number,
      kernels?: KernelChoice,
      loop?: "fma" | "bf16dot" | "int8dot",
    ): number;
    /**
     * Runs `calls` parallel_fors of `items` work items on a fresh pool of `threads` whose idle threads
     * poll for `spinUs` µs before sleeping (−1: as ANNEAL_SPIN_US says): `wrong` counts (call, item)
     * pairs not run exactly once, `threadsUsed` how many distinct threads ran work, `spinUs` the pool's.
     */
    poolCoverage(
      threads: number,
      items: number,
      calls: number,
      spinUs: number,
    ): { wrong: number; threadsUsed: number; spinUs: number };
  };
}

let addon: NativeAddon | undefined;

/** The addon, loaded on first use from native/build (next to src/ and dist/ alike). */
export function native(): NativeAddon {
  if (!addon) {
    const path = new URL("../native/build/anneal.node", import.meta.url).pathname;
    try {
      addon = createRequire(import.meta.url)(path) as NativeAddon;
    } catch (error) {
      throw new Error(
        `The native engine is not built (${path}): run \`pnpm install\` (it runs native/build.mjs, which needs cmake and g++). ${(error as Error).message}`,
      );
    }
  }
  return addon;
}
