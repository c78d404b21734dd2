// AVX-512F kernels. This file alone is compiled with -mavx512f; best_kernels() calls into it only
// after checking the CPU. One 16-float panel row is exactly one zmm register, so a tile of 12 rows
// keeps 12 independent FMA chains in flight (enough to cover the FMA latency on two ports) in 14 of
// the 32 vector registers.
#include "kernels.h"

#if defined(__x86_64__) || defined(__i386__)
// GCC 12's avx512fintrin.h trips its own -Wuninitialized (an "undefined" register idiom inside the
// masked intrinsics); nothing here reads an uninitialised value.
#pragma GCC diagnostic ignored "-Wuninitialized"
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#include <immintrin.h>

namespace anneal {

// One panel row (16 weights) as one float vector, from each storage type.
struct LoadF32 {
  using Element = float;
  static __m512 load(const float* row) { return _mm512_loadu_ps(row); }
};
struct LoadBF16 {  // bfloat16 is the top half of a float32: widen, then shift into place
  using Element = uint16_t;
  static __m512 load(const uint16_t* row) {
    const __m256i half = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(row));
    return _mm512_castsi512_ps(_mm512_slli_epi32(_mm512_cvtepu16_epi32(half), 16));
  }
};
struct LoadF16 {
  using Element = uint16_t;
  static __m512 load(const uint16_t* row) {
    return _mm512_cvtph_ps(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(row)));
  }
};

// A ROWS × 16 tile: per k, one weight load feeds ROWS FMAs with broadcast x values.
template <class Load, int ROWS>
static void tile(const float* x, int ldx, const typename Load::Element* panel, int k, const float* bias, float* y,
                 int ldy, int cols, bool accumulate) {
  __m512 acc[ROWS];
  for (int r = 0; r < ROWS; ++r) acc[r] = _mm512_setzero_ps();
  for (int kk = 0; kk < k; ++kk) {
    const __m512 w = Load::load(panel + kk * kPanelWidth);
    for (int r = 0; r < ROWS; ++r) acc[r] = _mm512_fmadd_ps(_mm512_set1_ps(x[r * ldx + kk]), w, acc[r]);
  }
  // Columns past `cols` (a last, partial panel) are masked off; bias and accumulation in-register.
  const __mmask16 mask = static_cast<__mmask16>(cols >= 16 ? 0xFFFF : (1u << cols) - 1u);
  const __m512 b = bias ? _mm512_maskz_loadu_ps(mask, bias) : _mm512_setzero_ps();
  for (int r = 0; r < ROWS; ++r) {
    float* dst = y + r * ldy;
    __m512 v = _mm512_add_ps(acc[r], b);
    if (accumulate) v = _mm512_add_ps(v, _mm512_maskz_loadu_ps(mask, dst));
    _mm512_mask_storeu_ps(dst, mask, v);
  }
}

// The same over two panels: 2 × ROWS accumulators, each broadcast x value feeding both.
template <class Load, int ROWS>
static void tile_pair(const float* x, int ldx, const typename Load::Element* panel, size_t panel_stride, int k,
                      const float* bias, float* y, int ldy, int cols, bool accumulate) {
  __m512 acc0[ROWS], acc1[ROWS];
  for (int r = 0; r < ROWS; ++r) acc0[r] = acc1[r] = _mm512_setzero_ps();
  const typename Load::Element* second = panel + panel_stride;
  for (int kk = 0; kk < k; ++kk) {
    const __m512 w0 = Load::load(panel + kk * kPanelWidth), w1 = Load::load(second + kk * kPanelWidth);
    for (int r = 0; r < ROWS; ++r) {
      const __m512 xv = _mm512_set1_ps(x[r * ldx + kk]);
      acc0[r] = _mm512_fmadd_ps(xv, w0, acc0[r]);
      acc1[r] = _mm512_fmadd_ps(xv, w1, acc1[r]);
    }
  }
  const int left = cols - kPanelWidth;  // the second panel's columns (1..16)
  const __mmask16 mask = static_cast<__mmask16>(left >= 16 ? 0xFFFF : (1u << left) - 1u);
  const __m512 b0 = bias ? _mm512_loadu_ps(bias) : _mm512_setzero_ps();
  const __m512 b1 = bias ? _mm512_maskz_loadu_ps(mask, bias + kPanelWidth) : _mm512_setzero_ps();
  for (int r = 0; r < ROWS; ++r) {
    float* dst = y + r * ldy;
    __m512 v0 = _mm512_add_ps(acc0[r], b0), v1 = _mm512_add_ps(acc1[r], b1);
    if (accumulate) {
      v0 = _mm512_add_ps(v0, _mm512_loadu_ps(dst));
      v1 = _mm512_add_ps(v1, _mm512_maskz_loadu_ps(mask, dst + kPanelWidth));
    }
    _mm512_storeu_ps(dst, v0);
    _mm512_mask_storeu_ps(dst + kPanelWidth, mask, v1);
  }
}

template <class Load>
static void gemm_tile_pair_avx512(const float* x, int ldx, int rows, const typename Load::Element* panel,
                                  size_t panel_stride, int k, const float* bias, float* y, int ldy, int cols,
                                  bool accumulate) {
  switch (rows) {
    case 12: return tile_pair<Load, 12>(x, ldx, panel, panel_stride, k, bias, y, ldy, cols, accumulate);
    case 11: return tile_pair<Load, 11>(x, ldx, panel, panel_stride, k, bias, y, ldy, cols, accumulate);
    case 10: return tile_pair<Load, 10>(x, ldx, panel, panel_stride, k, bias, y, ldy, cols, accumulate);
    case 9: return tile_pair<Load, 9>(x, ldx, panel, panel_stride, k, bias, y, ldy, cols, accumulate);
    case 8: return tile_pair<Load, 8>(x, ldx, panel, panel_stride, k, bias, y, ldy, cols, accumulate);
    case 7: return tile_pair<Load, 7>(x, ldx, panel, panel_stride, k, bias, y, ldy, cols, accumulate);
    case 6: return tile_pair<Load, 6>(x, ldx, panel, panel_stride, k, bias, y, ldy, cols, accumulate);
    case 5: return tile_pair<Load, 5>(x, ldx, panel, panel_stride, k, bias, y, ldy, cols, accumulate);
    case 4: return tile_pair<Load, 4>(x, ldx, panel, panel_stride, k, bias, y, ldy, cols, accumulate);
    case 3: return tile_pair<Load, 3>(x, ldx, panel, panel_stride, k, bias, y, ldy, cols, accumulate);
    case 2: return tile_pair<Load, 2>(x, ldx, panel, panel_stride, k, bias, y, ldy, cols, accumulate);
    default: return tile_pair<Load, 1>(x, ldx, panel, panel_stride, k, bias, y, ldy, cols, accumulate);
  }
}

template <class Load>
static void gemm_tile_avx512(const float* x, int ldx, int rows, const typename Load::Element* panel, int k,
                             const float* bias, float* y, int ldy, int cols, bool accumulate) {
  switch (rows) {
    case 12: return tile<Load, 12>(x, ldx, panel, k, bias, y, ldy, cols, accumulate);
    case 11: return tile<Load, 11>(x, ldx, panel, k, bias, y, ldy, cols, accumulate);
    case 10: return tile<Load, 10>(x, ldx, panel, k, bias, y, ldy, cols, accumulate);
    case 9: return tile<Load, 9>(x, ldx, panel, k, bias, y, ldy, cols, accumulate);
    case 8: return tile<Load, 8>(x, ldx, panel, k, bias, y, ldy, cols, accumulate);
    case 7: return tile<Load, 7>(x, ldx, panel, k, bias, y, ldy, cols, accumulate);
    case 6: return tile<Load, 6>(x, ldx, panel, k, bias, y, ldy, cols, accumulate);
    case 5: return tile<Load, 5>(x, ldx, panel, k, bias, y, ldy, cols, accumulate);
    case 4: return tile<Load, 4>(x, ldx, panel, k, bias, y, ldy, cols, accumulate);
    case 3: return tile<Load, 3>(x, ldx, panel, k, bias, y, ldy, cols, accumulate);
    case 2: return tile<Load, 2>(x, ldx, panel, k, bias, y, ldy, cols, accumulate);
    default: return tile<Load, 1>(x, ldx, panel, k, bias, y, ldy, cols, accumulate);
  }
}

static float dot_avx512(const float* a, const float* b, int n) {
  __m512 s0 = _mm512_setzero_ps(), s1 = _mm512_setzero_ps();
  int i = 0;
  for (; i + 32 <= n; i += 32) {
    s0 = _mm512_fmadd_ps(_mm512_loadu_ps(a + i), _mm512_loadu_ps(b + i), s0);
    s1 = _mm512_fmadd_ps(_mm512_loadu_ps(a + i + 16), _mm512_loadu_ps(b + i + 16), s1);
  }
  for (; i + 16 <= n; i += 16) s0 = _mm512_fmadd_ps(_mm512_loadu_ps(a + i), _mm512_loadu_ps(b + i), s0);
  if (i < n) {  // the tail, masked
    const __mmask16 mask = static_cast<__mmask16>((1u << (n - i)) - 1u);
    s1 = _mm512_fmadd_ps(_mm512_maskz_loadu_ps(mask, a + i), _mm512_maskz_loadu_ps(mask, b + i), s1);
  }
  return _mm512_reduce_add_ps(_mm512_add_ps(s0, s1));
}

static void axpy_avx512(float alpha, const float* x, float* y, int n) {
  const __m512 a = _mm512_set1_ps(alpha);
  int i = 0;
  for (; i + 16 <= n; i += 16) _mm512_storeu_ps(y + i, _mm512_fmadd_ps(a, _mm512_loadu_ps(x + i), _mm512_loadu_ps(y + i)));
  if (i < n) {
    const __mmask16 mask = static_cast<__mmask16>((1u << (n - i)) - 1u);
    _mm512_mask_storeu_ps(y + i, mask, _mm512_fmadd_ps(a, _mm512_maskz_loadu_ps(mask, x + i), _mm512_maskz_loadu_ps(mask, y + i)));
  }
}

// Ten independent 16-wide chains, as the AVX2 loop has ten 8-wide ones.
static float fma_loop_avx512(int64_t iterations) {
  __m512 acc[10];
  for (int j = 0; j < 10; ++j) acc[j] = _mm512_set1_ps(static_cast<float>(j));
  const __m512 a = _mm512_set1_ps(0.999999f), b = _mm512_set1_ps(1e-7f);
  for (int64_t i = 0; i < iterations; ++i) {
    for (int j = 0; j < 10; ++j) acc[j] = _mm512_fmadd_ps(acc[j], a, b);
  }
  __m512 sum = acc[0];
  for (int j = 1; j < 10; ++j) sum = _mm512_add_ps(sum, acc[j]);
  return _mm512_reduce_add_ps(sum);
}

// Every AVX-512 CPU runs AVX2, so without VNNI its int8 products are AVX2's. The table is built on
// first call, never at load: this file's code is AVX-512 code, and a file-scope table copying another
// file's (kAvx2QuantDots) would be a static initializer that runs, and faults, on CPUs without it.
const Kernels& avx512_kernels() {
  static const Kernels table = [] {
    Kernels kernels = {"avx512",
                       12,
                       gemm_tile_avx512<LoadF32>,
                       gemm_tile_avx512<LoadBF16>,
                       gemm_tile_avx512<LoadF16>,
                       dot_avx512,
                       axpy_avx512,
                       fma_loop_avx512,
                       10 * 16 * 2,
                       kAvx2QuantDots};
    if (cpu_has_avx512_vnni()) kernels.quant = kVnniQuantDots;
    if (cpu_has_avx512_bf16()) kernels.bf16_dot = &kAvx512Bf16Dots;
    kernels.gemm_tile_pair = gemm_tile_pair_avx512<LoadF32>;
    kernels.gemm_tile_pair_bf16 = gemm_tile_pair_avx512<LoadBF16>;
    kernels.gemm_tile_pair_f16 = gemm_tile_pair_avx512<LoadF16>;
    // Element-wise work is a small share of a forward pass: AVX2's eight lanes serve here too.
    kernels.silu_mul = kAvx2Kernels.silu_mul;
    kernels.exp_shifted = kAvx2Kernels.exp_shifted;
    return kernels;
  }();
  return table;
}

}  // namespace anneal

#else

namespace anneal {
// Non-x86 builds: the table exists so the code links; best_kernels() never selects it.
const Kernels& avx512_kernels() { return kPortableKernels; }
}  // namespace anneal

#endif
