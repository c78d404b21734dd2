// The transformer's operations on the device, as launches on a stream. Activations: the residual
// stream x in FP32; matrix-product inputs in BF16; products accumulate in FP32 (see gemm.cuh).
#pragma once

#include "common.cuh"
#include "cuda_engine.h"

namespace anneal::cuda {

// x[r][:] = embed[tokens[r]][:]
void embed_rows(const bf16* embed, const int32_t* tokens, float* x, int rows, int dim, cudaStream_t stream);

// y[r] = bf16(x[r] / sqrt(mean(x[r]²) + eps) * weight), rows of `dim` values (x row stride ldx).
void rms_norm(const float* x, int ldx, const float* weight, bf16* y, int rows, int dim, float eps, cudaStream_t stream);

// Rotate-half RoPE with FP32 angles, in place: row r (at x + r·ldx) holds `heads` heads of
// head_dim values and sits at positions[r]; each head's first rotary_dim values turn (partial
// rotary when fewer than head_dim), the rest stay.
void rope(float* x, int ldx, const int32_t* positions, int rows, int heads, int head_dim, int rotary_dim, float theta,
          cudaStream_t stream);

// The fused step after the q|k|v product: rows of `ld` values hold q (heads × head_dim), then k,
// then v (kv_heads × head_dim each). RoPE rotates q in place; k (rotated) and v go into the cache
// rows at positions[r] in BF16, in one launch (rope() alone is the simple twin the checks test).
void rope_store(float* qkv, int ld, const int32_t* positions, int rows, int heads, int kv_heads, int head_dim,
                int rotary_dim, float theta, bf16* keys, bf16* values, cudaStream_t stream);

// out[r][c] = bf16(silu(gate[r·ld + c]) · up[r·ld + c]) for a rows × cols output.
void silu_mul(const float* gate, const float* up, int ld, bf16* out, int rows, int cols, cudaStream_t stream);

// conditional = unconditional + (g + 1)(conditional − unconditional), elementwise (guidance).
void guide(float* conditional, const float* unconditional, float scale, size_t n, cudaStream_t stream);

// logits[row][token] = −inf for every (row, token) pair listed.
void suppress(float* logits, int vocab, const int32_t* rows, const int32_t* tokens, int count, cudaStream_t stream);

// y[r][c] += bias[c] for an m × n matrix.
void add_bias(float* y, const float* bias, int m, int n, cudaStream_t stream);

// out[i][:] = x[rows[i]][:] (FP32 rows, or BF16 ones)
void gather_rows(const float* x, const int32_t* rows, float* out, int count, int dim, cudaStream_t stream);
void gather_rows(const bf16* x, const int32_t* rows, bf16* out, int count, int dim, cudaStream_t stream);

// Normal(0, std) BF16 values from a counter-based hash of (seed, index): the same on every device.
void random_normal(bf16* out, size_t n, float std, uint64_t seed, cudaStream_t stream);
void fill(float* out, size_t n, float value, cudaStream_t stream);

// Bidirectional attention with grouped-query heads, flash-style: K/V tiles in shared memory and an
// online softmax, so the scores never reach global memory. q: FP32 rows of `ldq` values, head h at
// h * head_dim; keys/values: BF16 [length][kv_heads * head_dim]; out: BF16 [rows][heads * head_dim].
// Tensor cores (attention_wmma.cu) when head_dim % 16 == 0, else the scalar kernel (attention.cu).
// `splits` > 1 divides the keys among that many blocks per (rows, head) and merges their partial
// softmaxes (flash-decoding), which needs attention_scratch_floats(...) floats of `scratch`.
void attention(const float* q, int ldq, const bf16* keys, const bf16* values, bf16* out, int rows, int length,
               int heads, int kv_heads, int head_dim, cudaStream_t stream, int splits = 1, float* scratch = nullptr,
               AttentionKernel kernel = AttentionKernel::Auto);

// How many key ranges fill the GPU for this shape (1 when rows × heads already does).
int attention_splits(int rows, int length, int heads, int head_dim, int multiprocessors,
                     AttentionKernel kernel = AttentionKernel::Auto);
size_t attention_scratch_floats(int rows, int heads, int head_dim, int splits);

}  // namespace anneal::cuda
