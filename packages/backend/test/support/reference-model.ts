// The reference forward pass: plain loops in float64, written to be read top to bottom, after each
// family's published modelling code (LLaDA's modeling_llada.py, Dream's modeling_dream.py, LLaDA-MoE's
// modeling_lladamoe.py, SDAR's modeling_sdar.py, LLaDA2's modeling_llada2_moe.py). The native engine
// is held to it within a tolerance. Shapes: L tokens, D dim, H heads (KV of them for keys and values),
// Dh head dim, F ffn size, V vocab; linear weights are W[out][in].
import type { MoeShape } from "../../src/native";
import type { TinyModelSpec, Weights } from "./write-checkpoint";

type Matrix = Float64Array[];

function get(weights: Weights, key: string): Float32Array {
  const entry = weights.get(key);
  if (!entry) throw new Error(`no weight ${key}`);
  return entry.values;
}

/** y[r][n] = sum_k x[r][k] W[n][k] (+ bias[n]) */
function linear(x: Matrix, w: Float32Array, outDim: number, bias?: Float32Array): Matrix {
  const inDim = (x[0] as Float64Array).length;
  return x.map((row) => {
    const y = new Float64Array(outDim);
    for (let n = 0; n < outDim; n++) {
      let sum = bias ? (bias[n] as number) : 0;
      for (let k = 0; k < inDim; k++) sum += (row[k] as number) * (w[n * inDim + k] as number);
      y[n] = sum;
    }
    return y;
  });
}

function rmsNorm(x: Matrix, weight: Float32Array, eps: number): Matrix {
  return x.map((row) => {
    let square = 0;
    for (const v of row) square += v * v;
    const scale = 1 / Math.sqrt(square / row.length + eps);
    return row.map((v, i) => v * scale * (weight[i] as number));
  });
}

/**
 * Rotate-half RoPE on each head of each row; row r sits at position r. With `rotaryDim` < headDim
 * (LLaDA2's partial rotary, apply_rotary_pos_emb in modeling_llada2_moe.py) only each head's first
 * rotaryDim values turn, paired among themselves, and the rest pass through.
 */
function rope(x: Matrix, heads: number, headDim: number, theta: number, rotaryDim = headDim): Matrix {
  const half = rotaryDim / 2;
  return x.map((row, position) => {
    const out = Float64Array.from(row);
    for (let h = 0; h < heads; h++) {
      for (let i = 0; i < half; i++) {
        const angle = position * theta ** (-(2 * i) / rotaryDim);
        const a = row[h * headDim + i] as number;
        const b = row[h * headDim + i + half] as number;
        out[h * headDim + i] = a * Math.cos(angle) - b * Math.sin(angle);
        out[h * headDim + i + half] = b * Math.cos(angle) + a * Math.sin(angle);
      }
    }
    return out;
  });
}

/**
 * Attention: every row attends to every row, or with `blockSize` only to rows up to the end of its
 * own block (block-causal, as SDAR's block_diffusion_attention_mask: a lower-triangular matrix of
 * blocks); query head h uses KV head h / (H/KV).
 */
function attention(
  q: Matrix,
  k: Matrix,
  v: Matrix,
  heads: number,
  kvHeads: number,
  headDim: number,
  blockSize = 0,
): Matrix {
  const group = heads / kvHeads;
  return q.map((qRow, r) => {
    const visible = blockSize > 0 ? Math.min(k.length, (Math.floor(r / blockSize) + 1) * blockSize) : k.length;
    const out = new Float64Array(heads * headDim);
    for (let h = 0; h < heads; h++) {
      const kvh = Math.floor(h / group);
      const scores = k.slice(0, visible).map((kRow) => {
        let dot = 0;
        for (let d = 0; d < headDim; d++)
          dot += (qRow[h * headDim + d] as number) * (kRow[kvh * headDim + d] as number);
        return dot / Math.sqrt(headDim);
      });
      const max = Math.max(...scores);
      const exps = scores.map((s) => Math.exp(s - max));
      const total = exps.reduce((a, b) => a + b, 0);
      exps.forEach((e, j) => {
        for (let d = 0; d < headDim; d++)
          out[h * headDim + d] =
            (out[h * headDim + d] as number) + (e / total) * ((v[j] as Float64Array)[kvh * headDim + d] as number);
      });
    }
    return out;
  });
}

/** Each head's slice of every row RMS-normalised with the same weights (LLaDA-MoE's q_norm, k_norm). */
function headNorm(x: Matrix, weight: Float32Array, heads: number, headDim: number, eps: number): Matrix {
  return x.map((row) => {
    const out = new Float64Array(row.length);
    for (let h = 0; h < heads; h++) {
      const head = rmsNorm([row.subarray(h * headDim, (h + 1) * headDim)], weight, eps)[0] as Float64Array;
      out.set(head, h * headDim);
    }
    return out;
  });
}

/** down(silu(gate(m)) * up(m)) */
function swiglu(m: Matrix, weights: Weights, prefix: string, width: number, dim: number): Matrix {
  const gate = linear(m, get(weights, `${prefix}gate`), width);
  const up = linear(m, get(weights, `${prefix}up`), width);
  const act = gate.map((row, r) =>
    row.map((g, i) => (g / (1 + Math.exp(-g))) * ((up[r] as Float64Array)[i] as number)),
  );
  return linear(act, get(weights, `${prefix}down`), dim);
}

/**
 * LLaDA-MoE's sparse block (modeling_lladamoe.py, LLaDAMoESparseMoeBlock, then the decoder layer's
 * shared expert): softmax over the router's logits, plus the expert bias, top-k (ties: lower index),
 * the chosen experts' outputs weighted by those values (renormalised only when normTopK).
 */
function mixture(m: Matrix, weights: Weights, prefix: string, moe: MoeShape, dim: number): Matrix {
  const logits = linear(m, get(weights, `${prefix}router`), moe.experts);
  const bias = moe.expertBias ? get(weights, `${prefix}expert_bias`) : undefined;
  const outputs = Array.from({ length: moe.experts }, (_, e) =>
    swiglu(m, weights, `${prefix}experts.${e}.`, moe.expertFfn, dim),
  );
  const shared = moe.sharedExpertFfn > 0 ? swiglu(m, weights, `${prefix}shared.`, moe.sharedExpertFfn, dim) : undefined;
  if (moe.router === "sigmoid") return sigmoidMixture(logits, bias, outputs, shared, moe, dim);
  return logits.map((row, r) => {
    const max = Math.max(...row);
    const exps = Array.from(row, (v) => Math.exp(v - max));
    const total = exps.reduce((a, b) => a + b, 0);
    const probs = exps.map((e, i) => e / total + (bias ? (bias[i] as number) : 0));
    const chosen = probs
      .map((p, e) => [p, e] as const)
      .sort((a, b) => b[0] - a[0] || a[1] - b[1])
      .slice(0, moe.expertsPerToken);
    const sum = chosen.reduce((acc, [p]) => acc + p, 0);
    const out = shared ? Float64Array.from(shared[r] as Float64Array) : new Float64Array(dim);
    for (const [p, e] of chosen) {
      const w = moe.normTopK ? p / sum : p;
      const expert = (outputs[e] as Matrix)[r] as Float64Array;
      for (let i = 0; i < dim; i++) out[i] = (out[i] as number) + w * (expert[i] as number);
    }
    return out;
  });
}

/**
 * LLaDA2's routing (modeling_llada2_moe.py, LLaDA2MoeGate.forward and group_limited_topk): sigmoid
 * scores, the expert bias added only to choose; experts in `groups` equal groups, each scored by the
 * sum of its two best biased scores, the best `groupsKept` groups' experts the only candidates; the
 * top-k biased scores chosen; their unbiased scores renormalised (over more than one expert, + 1e-20)
 * and multiplied by routed_scaling_factor; the shared experts' output added (LLaDA2MoeSparseMoeBlock).
 */
function sigmoidMixture(
  logits: Matrix,
  bias: Float32Array | undefined,
  outputs: Matrix[],
  shared: Matrix | undefined,
  moe: MoeShape,
  dim: number,
): Matrix {
  const groups = moe.groups ?? 1;
  const kept = moe.groupsKept ?? groups;
  const size = moe.experts / groups;
  return logits.map((row, r) => {
    const scores = Array.from(row, (v) => 1 / (1 + Math.exp(-v)));
    const forChoice = scores.map((score, e) => score + (bias ? (bias[e] as number) : 0));
    const groupScores = Array.from({ length: groups }, (_, g) => {
      const [best, second] = forChoice.slice(g * size, (g + 1) * size).sort((a, b) => b - a);
      return (best as number) + (second as number);
    });
    const keptGroups = groupScores
      .map((score, g) => [score, g] as const)
      .sort((a, b) => b[0] - a[0] || a[1] - b[1])
      .slice(0, kept)
      .map(([, g]) => g);
    const chosen = forChoice
      .map((score, e) => [keptGroups.includes(Math.floor(e / size)) ? score : -Infinity, e] as const)
      .sort((a, b) => b[0] - a[0] || a[1] - b[1])
      .slice(0, moe.expertsPerToken)
      .map(([, e]) => e);
    const sum = chosen.reduce((acc, e) => acc + (scores[e] as number), 0) + 1e-20;
    const out = shared ? Float64Array.from(shared[r] as Float64Array) : new Float64Array(dim);
    for (const e of chosen) {
      const weight =
        (moe.expertsPerToken > 1 ? (scores[e] as number) / sum : (scores[e] as number)) * (moe.routedScale ?? 1);
      const expert = (outputs[e] as Matrix)[r] as Float64Array;
      for (let i = 0; i < dim; i++) out[i] = (out[i] as number) + weight * (expert[i] as number);
    }
    return out;
  });
}

/** Logits [L][V] for every position of `tokens`; `blockSize` makes the attention block-causal. */
export function referenceLogits(
  spec: TinyModelSpec,
  weights: Weights,
  tokens: ArrayLike<number>,
  { blockSize = 0 }: { blockSize?: number } = {},
): Matrix {
  const { dim, heads, kvHeads, ffn, vocab, eps, ropeTheta } = spec;
  const headDim = spec.headDim ?? dim / heads;
  const embed = get(weights, "embed");
  let x: Matrix = Array.from(tokens, (t) => Float64Array.from(embed.subarray(t * dim, (t + 1) * dim)));
  for (let l = 0; l < spec.layers; l++) {
    const p = `layers.${l}.`;
    const bias = (name: string) => (spec.qkvBias ? get(weights, `${p}${name}_bias`) : undefined);
    const n = rmsNorm(x, get(weights, `${p}attn_norm`), eps);
    // LLaDA-MoE normalises each head of q and k before RoPE (LLaDAMoEAttention.forward).
    const qkNorm = (x: Matrix, which: "q" | "k", count: number) =>
      spec.qkNorm ? headNorm(x, get(weights, `${p}${which}_norm`), count, headDim, eps) : x;
    const q = rope(
      qkNorm(linear(n, get(weights, `${p}q`), heads * headDim, bias("q")), "q", heads),
      heads,
      headDim,
      ropeTheta,
      spec.ropeDim,
    );
    const k = rope(
      qkNorm(linear(n, get(weights, `${p}k`), kvHeads * headDim, bias("k")), "k", kvHeads),
      kvHeads,
      headDim,
      ropeTheta,
      spec.ropeDim,
    );
    const v = linear(n, get(weights, `${p}v`), kvHeads * headDim, bias("v"));
    const attn = linear(attention(q, k, v, heads, kvHeads, headDim, blockSize), get(weights, `${p}o`), dim);
    x = x.map((row, r) => row.map((value, i) => value + ((attn[r] as Float64Array)[i] as number)));
    const m = rmsNorm(x, get(weights, `${p}ffn_norm`), eps);
    const moe = spec.moe && (spec.moe.layers?.[l] ?? true) ? spec.moe : undefined;
    const down = moe ? mixture(m, weights, p, moe, dim) : swiglu(m, weights, p, ffn, dim);
    x = x.map((row, r) => row.map((value, i) => value + ((down[r] as Float64Array)[i] as number)));
  }
  const final = rmsNorm(x, get(weights, "final_norm"), eps);
  return linear(final, spec.tied ? embed : get(weights, "head"), vocab);
}
