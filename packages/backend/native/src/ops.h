// The transformer's operations on row-major float matrices, threaded, built on the kernel table.
#pragma once

#include <cstdint>
#include <memory>
#include <utility>
#include <vector>

#include "dtype.h"
#include "kernels.h"
#include "thread_pool.h"

namespace anneal {

// A linear layer's weight W[n][k] (out × in, PyTorch layout) in the dtype the checkpoint stores it:
// float32 or BF16/F16 repacked into 16-wide k-major panels (16-bit ones kept at 16 bits: half the
// memory and half the bytes each product streams; the kernels widen them in registers), or GGUF
// blocks (Q8_0, Q4_0, Q4_K, Q5_K, Q6_K) row by row, exactly as the file stores them.
// An allocator whose resize leaves new elements uninitialised: zeroing a large buffer first would
// write (and fault in) every page once more, on one thread, before a parallel fill writes it.
template <class T>
struct UninitializedAllocator : std::allocator<T> {
  template <class U>
  struct rebind {
    using other = UninitializedAllocator<U>;
  };
  UninitializedAllocator() = default;
  template <class U>
  UninitializedAllocator(const UninitializedAllocator<U>&) noexcept {}
  template <class U>
  void construct(U* p) noexcept {
    ::new (static_cast<void*>(p)) U;
  }
  template <class U, class... Args>
  void construct(U* p, Args&&... args) {
    ::new (static_cast<void*>(p)) U(std::forward<Args>(args)...);
  }
};

struct PackedWeight {
  int n = 0;
  int k = 0;
  DType dtype = DType::F32;
  std::vector<float> panels;       // F32: ceil(n / 16) panels of k × 16 floats; padding columns are zero
  std::vector<uint16_t> panels16;  // BF16/F16: the same layout, 16-bit elements
  // Quantized: n rows of row_bytes each, in `owned` (quantized at load) or in place in a mapped file
  // that `keep` holds open.
  size_t row_bytes = 0;
  std::vector<uint8_t> owned;
  const uint8_t* mapped = nullptr;
  std::shared_ptr<const void> keep;
  // Or, where the kernels multiply sixteen rows at a time: the rows repacked into quant_panels.h's
  // panels (then `owned` is empty and `mapped` null).
  std::vector<uint8_t, UninitializedAllocator<uint8_t>> quant_panels;
  const uint8_t* blocks() const { return owned.empty() ? mapped : owned.data(); }
  // Bytes this weight holds in memory of its own (a mapped one's pages belong to the file).
  size_t resident_bytes() const { return panels.size() * 4 + panels16.size() * 2 + owned.size() + quant_panels.size(); }
};

PackedWeight pack_weight(const float* w, int n, int k);
// From 16-bit elements (BF16 or F16 bits, as stored), kept at 16 bits.
PackedWeight pack_weight_16(const uint16_t* w, int n, int k, DType dtype);
// float32 rows quantized to `type` (each row's k a multiple of the type's block).
PackedWeight quantize_weight(const float* w, int n, int k, DType type, ThreadPool& pool);
// Quantized rows used where they lie (a mapped file's bytes), kept alive by `keep`.
PackedWeight quantized_view(const uint8_t* blocks, int n, int k, DType type, std::shared_ptr<const void> keep);

// Repacks a quantized weight's rows into panels when `kernels` multiply its type that way, letting go
// of the rows (true); else leaves it as it is (false).
bool use_quant_panels(const Kernels& kernels, ThreadPool& pool, PackedWeight& w);

struct Context {
  const Kernels& kernels;
  ThreadPool& pool;
  // BF16 weights on the BF16 dot-product instruction (activations rounded to BF16) when the kernels
  // have it; otherwise, or when false, widened to float32 (exactly the float32 product).
  bool bf16_dot = false;
  // Quantized panels two at a time where the kernels can (false: one at a time, for side-by-side benches).
  bool quant_panel_pairs = true;
};

// y[m][n] (+)= x[m][:] · W[n][:] + bias[n], for x of shape [rows][w.k] and y of shape [rows][w.n].
void gemm(const Context& ctx, const float* x, int rows, const PackedWeight& w, const float* bias, float* y,
          bool accumulate);

// The same over any panels: y[r][0..n) (+)= x[r][0..k) · panels (+ bias), with row strides ldx and ldy.
void gemm_panels(const Context& ctx, const float* x, int ldx, int rows, const float* panels, int n, int k,
                 const float* bias, float* y, int ldy, bool accumulate);

// Panels from n vectors of length k, vector i at src + i * stride (so x · panels = x · Vᵀ).
void pack_rows(const float* src, int n, int k, size_t stride, std::vector<float>& panels);
// Panels from a k × n matrix with row stride `stride` (so x · panels = x · B).
void pack_columns(const float* src, int k, int n, size_t stride, std::vector<float>& panels);

// c[m][n] (+)= a[m][k] · b[k][n]   (b row-major with stride ldb)
void matmul(const Context& ctx, const float* a, int lda, int m, const float* b, int ldb, int k, int n, float* c, int ldc,
            bool accumulate);
// c[m][n] (+)= a[m][k] · b[n][k]ᵀ  (b's rows are the output features)
void matmul_bt(const Context& ctx, const float* a, int lda, int m, const float* b, int ldb, int n, int k, float* c,
               int ldc, bool accumulate);

// y[r] = x[r] / sqrt(mean(x[r]²) + eps) * weight, for `rows` rows of `dim` values.
void rms_norm(const Context& ctx, const float* x, const float* weight, float* y, int rows, int dim, float eps);

// How a head's dimensions pair up for RoPE: rotate-half (NeoX, Hugging Face: i with i + head_dim/2),
// or interleaved (2i with 2i + 1), the order llama.cpp's converter permutes LLaDA's q and k rows into.
// Attention scores are the same either way as long as q and k agree.
enum class RopePairs { RotateHalf, Interleaved };

// Rotary embedding, fp32 angles: x is [rows][heads * head_dim], row r at position positions[r].
// Only each head's first `rotary_dim` values turn (all of them when 0; partial rotary, LLaDA2), the
// pairs taken among those: pair i turns by positions[r] · theta^(-2i / rotary_dim).
// `inverse` rotates by −angle: the backward pass of RoPE (the rotation is orthogonal).
void rope(const Context& ctx, float* x, const int32_t* positions, int rows, int heads, int head_dim, float theta,
          bool inverse = false, RopePairs pairs = RopePairs::RotateHalf, int rotary_dim = 0);

// out[r] = silu(gate[r]) * up[r], elementwise over n values.
void silu_mul(const Context& ctx, const float* gate, const float* up, float* out, int64_t n);

// Bidirectional attention with grouped-query heads. q: [rows][heads * head_dim];
// keys/values: [length][kv_heads * head_dim]; every query row attends to keys 0..length-1.
// When `probs` is given, the attention probabilities are kept there as [heads][rows][length] (training).
void attention(const Context& ctx, const float* q, int rows, const float* keys, const float* values, int length,
               int heads, int kv_heads, int head_dim, float* out, float* probs = nullptr);

// What a sampler needs from one row of logits, computed without handing the row to JavaScript.
struct RowStats {
  int32_t argmax = 0;
  float confidence = 0;  // softmax probability of argmax
  float margin = 0;      // top-1 minus top-2 probability
  float entropy = 0;     // -sum p log p, nats
  int32_t sample = 0;    // drawn token (argmax when temperature is 0)
  float sample_prob = 0; // softmax probability of the drawn token (untempered)
};

struct SamplingParams {
  float temperature = 0;  // 0: greedy
  float top_p = 1;        // nucleus mass kept, over the tempered distribution
  int32_t top_k = 0;      // 0: no limit
  uint64_t seed = 0;
  // Tokens never proposed: their logits count as -inf (LLaDA's `logits_eos_inf`).
  std::vector<int32_t> suppress;
};

// Stats for one row of `vocab` logits (suppressed tokens, and those `allowed` marks 0 when given, are set
// to -inf in place: statistics and draws are over the allowed tokens only). `position` and `step` key
// the random draw, so a seed gives the same tokens whatever the thread count or batch layout.
RowStats row_stats(float* logits, int vocab, const SamplingParams& sampling, uint64_t position, uint64_t step,
                   const uint8_t* allowed = nullptr);

}  // namespace anneal
