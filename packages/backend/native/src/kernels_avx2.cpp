// AVX2/FMA kernels (with F16C for half-precision weights). This file alone is compiled with
// -mavx2 -mfma -mf16c; best_kernels() calls into it only after checking the CPU.
#include "kernels.h"

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>

#include "quant_dots_x86.h"

namespace anneal {

// The int8 primitive of the quantized products: maddubs (u8 × s8 pairs into saturating int16; our
// codes keep every pair well inside it), then madd into int32.
struct MaddubsDot {
  static __m256i dot(__m256i u, __m256i s) { return _mm256_madd_epi16(_mm256_maddubs_epi16(u, s), _mm256_set1_epi16(1)); }
  // int16 lanes 0..7 (elements 0..15) by a, lanes 8..15 (elements 16..31) by b.
  static __m256i scales(int a, int b) { return _mm256_set_m128i(_mm_set1_epi16(static_cast<int16_t>(b)), _mm_set1_epi16(static_cast<int16_t>(a))); }
  struct SuperBlock {
    const __m256i* codes;
    const __m256i* scales;
  };
  static SuperBlock prepare(const __m256i* codes, const __m256i* scales) { return {codes, scales}; }
  static __m256i superblock_dot(const SuperBlock& block, const int8_t* x) {
    __m256i total = _mm256_setzero_si256();
    for (int j = 0; j < 8; ++j) {
      const __m256i products = _mm256_maddubs_epi16(block.codes[j], _mm256_loadu_si256(reinterpret_cast<const __m256i*>(x + 32 * j)));
      total = _mm256_add_epi32(total, _mm256_madd_epi16(products, block.scales[j]));
    }
    return total;
  }
};
using Maddubs = x86::QuantDots<MaddubsDot>;
const QuantDots kAvx2QuantDots = {"avx2",        Maddubs::q8_0, Maddubs::q4_0, Maddubs::q4_k, Maddubs::q5_k, Maddubs::q6_k,
                                  Maddubs::quantize_activations, &kAvx2PanelDots};

// One panel row (16 weights) as two 8-wide float vectors, from each storage type; `in_order` puts a
// row's accumulators back into column order once a tile is done (the identity for most types).
struct LoadF32 {
  using Element = float;
  static void load(const float* row, __m256& w0, __m256& w1) {
    w0 = _mm256_loadu_ps(row);
    w1 = _mm256_loadu_ps(row + 8);
  }
  static void in_order(__m256&, __m256&) {}
};
// bfloat16 is the top half of a float32: interleaving the 16 weights with zeros widens them in two
// shuffles from one load. The interleave works within 128-bit halves, so w0 holds columns 0–3 and
// 8–11, w1 columns 4–7 and 12–15, which in_order swaps back.
struct LoadBF16 {
  using Element = uint16_t;
  static void load(const uint16_t* row, __m256& w0, __m256& w1) {
    const __m256i bits = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(row));
    w0 = _mm256_castsi256_ps(_mm256_unpacklo_epi16(_mm256_setzero_si256(), bits));
    w1 = _mm256_castsi256_ps(_mm256_unpackhi_epi16(_mm256_setzero_si256(), bits));
  }
  static void in_order(__m256& a0, __m256& a1) {
    const __m256 low = _mm256_permute2f128_ps(a0, a1, 0x20), high = _mm256_permute2f128_ps(a0, a1, 0x31);
    a0 = low;
    a1 = high;
  }
};
struct LoadF16 {  // IEEE half through F16C
  using Element = uint16_t;
  static void load(const uint16_t* row, __m256& w0, __m256& w1) {
    w0 = _mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(row)));
    w1 = _mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(row + 8)));
  }
  static void in_order(__m256&, __m256&) {}
};

// Writes one row's two accumulators to y (plus the bias, added onto y when accumulating): whole
// vectors when the panel is full, element by element at the matrix's last, partial panel.
static inline void store_row(__m256 a0, __m256 a1, const float* bias, float* dst, int cols, bool accumulate) {
  if (cols == kPanelWidth) {
    if (bias) {
      a0 = _mm256_add_ps(a0, _mm256_loadu_ps(bias));
      a1 = _mm256_add_ps(a1, _mm256_loadu_ps(bias + 8));
    }
    if (accumulate) {
      a0 = _mm256_add_ps(a0, _mm256_loadu_ps(dst));
      a1 = _mm256_add_ps(a1, _mm256_loadu_ps(dst + 8));
    }
    _mm256_storeu_ps(dst, a0);
    _mm256_storeu_ps(dst + 8, a1);
    return;
  }
  alignas(32) float out[kPanelWidth];
  _mm256_store_ps(out, a0);
  _mm256_store_ps(out + 8, a1);
  for (int j = 0; j < cols; ++j) {
    const float v = out[j] + (bias ? bias[j] : 0.0f);
    dst[j] = accumulate ? dst[j] + v : v;
  }
}

// A ROWS × 16 tile (ROWS ≤ 6): per k, two 8-wide weight loads feed 2·ROWS FMAs with broadcast x
// values. The twelve accumulators are named locals, the rows past ROWS compiled out: GCC keeps named
// vector locals in registers, where it stored an accumulator array to the stack on every iteration
// (tiles of 2–5 rows ran at 40 % of the 6-row tile's rate).
template <class Load, int ROWS>
static void tile(const float* x, int ldx, const typename Load::Element* panel, int k, const float* bias, float* y,
                 int ldy, int cols, bool accumulate) {
  static_assert(ROWS >= 1 && ROWS <= 6, "AVX2 tiles hold at most six rows");
  __m256 c00 = _mm256_setzero_ps(), c01 = c00, c10 = c00, c11 = c00, c20 = c00, c21 = c00;
  __m256 c30 = c00, c31 = c00, c40 = c00, c41 = c00, c50 = c00, c51 = c00;
  const auto row_fma = [&](int r, int kk, __m256 w0, __m256 w1, __m256& a0, __m256& a1) {
    const __m256 xv = _mm256_broadcast_ss(x + r * ldx + kk);
    a0 = _mm256_fmadd_ps(xv, w0, a0);
    a1 = _mm256_fmadd_ps(xv, w1, a1);
  };
  for (int kk = 0; kk < k; ++kk) {
    __m256 w0, w1;
    Load::load(panel + kk * kPanelWidth, w0, w1);
    row_fma(0, kk, w0, w1, c00, c01);
    if constexpr (ROWS > 1) row_fma(1, kk, w0, w1, c10, c11);
    if constexpr (ROWS > 2) row_fma(2, kk, w0, w1, c20, c21);
    if constexpr (ROWS > 3) row_fma(3, kk, w0, w1, c30, c31);
    if constexpr (ROWS > 4) row_fma(4, kk, w0, w1, c40, c41);
    if constexpr (ROWS > 5) row_fma(5, kk, w0, w1, c50, c51);
  }
  const auto finish = [&](int r, __m256 a0, __m256 a1) {
    Load::in_order(a0, a1);
    store_row(a0, a1, bias, y + r * ldy, cols, accumulate);
  };
  finish(0, c00, c01);
  if constexpr (ROWS > 1) finish(1, c10, c11);
  if constexpr (ROWS > 2) finish(2, c20, c21);
  if constexpr (ROWS > 3) finish(3, c30, c31);
  if constexpr (ROWS > 4) finish(4, c40, c41);
  if constexpr (ROWS > 5) finish(5, c50, c51);
}

template <class Load>
static void gemm_tile_avx2(const float* x, int ldx, int rows, const typename Load::Element* panel, int k,
                           const float* bias, float* y, int ldy, int cols, bool accumulate) {
  switch (rows) {
    case 6: return tile<Load, 6>(x, ldx, panel, k, bias, y, ldy, cols, accumulate);
    case 5: return tile<Load, 5>(x, ldx, panel, k, bias, y, ldy, cols, accumulate);
    case 4: return tile<Load, 4>(x, ldx, panel, k, bias, y, ldy, cols, accumulate);
    case 3: return tile<Load, 3>(x, ldx, panel, k, bias, y, ldy, cols, accumulate);
    case 2: return tile<Load, 2>(x, ldx, panel, k, bias, y, ldy, cols, accumulate);
    default: return tile<Load, 1>(x, ldx, panel, k, bias, y, ldy, cols, accumulate);
  }
}

static inline float horizontal_sum(__m256 v) {
  __m128 lo = _mm256_castps256_ps128(v), hi = _mm256_extractf128_ps(v, 1);
  lo = _mm_add_ps(lo, hi);
  lo = _mm_hadd_ps(lo, lo);
  lo = _mm_hadd_ps(lo, lo);
  return _mm_cvtss_f32(lo);
}

static float dot_avx2(const float* a, const float* b, int n) {
  __m256 s0 = _mm256_setzero_ps(), s1 = _mm256_setzero_ps();
  int i = 0;
  for (; i + 16 <= n; i += 16) {
    s0 = _mm256_fmadd_ps(_mm256_loadu_ps(a + i), _mm256_loadu_ps(b + i), s0);
    s1 = _mm256_fmadd_ps(_mm256_loadu_ps(a + i + 8), _mm256_loadu_ps(b + i + 8), s1);
  }
  for (; i + 8 <= n; i += 8) s0 = _mm256_fmadd_ps(_mm256_loadu_ps(a + i), _mm256_loadu_ps(b + i), s0);
  float sum = horizontal_sum(_mm256_add_ps(s0, s1));
  for (; i < n; ++i) sum += a[i] * b[i];
  return sum;
}

static void axpy_avx2(float alpha, const float* x, float* y, int n) {
  const __m256 a = _mm256_set1_ps(alpha);
  int i = 0;
  for (; i + 8 <= n; i += 8) _mm256_storeu_ps(y + i, _mm256_fmadd_ps(a, _mm256_loadu_ps(x + i), _mm256_loadu_ps(y + i)));
  for (; i < n; ++i) y[i] += alpha * x[i];
}

// e^x for eight floats: x = n·ln2 + r with |r| ≤ ln2/2, e^r by Cephes' degree-7 polynomial (about
// 1 ulp), times 2^n built in the exponent bits. Below −87 (and −∞) gives 0, where std::exp gives a
// denormal under 1.7e-38; above 88 gives e^88 (std::exp overflows to ∞ past 88.7).
static inline __m256 exp_avx2(__m256 x) {
  const __m256 below = _mm256_cmp_ps(x, _mm256_set1_ps(-87.0f), _CMP_LT_OQ);
  x = _mm256_min_ps(_mm256_max_ps(x, _mm256_set1_ps(-87.0f)), _mm256_set1_ps(88.0f));
  const __m256 n = _mm256_round_ps(_mm256_mul_ps(x, _mm256_set1_ps(1.44269504088896341f)),
                                   _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
  // r = x − n·ln2 in two steps (ln2's high part is exact in float), so r keeps its low bits.
  __m256 r = _mm256_fnmadd_ps(n, _mm256_set1_ps(0.693359375f), x);
  r = _mm256_fnmadd_ps(n, _mm256_set1_ps(-2.12194440e-4f), r);
  __m256 p = _mm256_set1_ps(1.9875691500e-4f);
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.3981999507e-3f));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(8.3334519073e-3f));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(4.1665795894e-2f));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.6666665459e-1f));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(5.0000001201e-1f));
  p = _mm256_fmadd_ps(p, _mm256_mul_ps(r, r), _mm256_add_ps(r, _mm256_set1_ps(1.0f)));
  const __m256i exponent = _mm256_slli_epi32(_mm256_add_epi32(_mm256_cvtps_epi32(n), _mm256_set1_epi32(127)), 23);
  return _mm256_andnot_ps(below, _mm256_mul_ps(p, _mm256_castsi256_ps(exponent)));
}

// Runs `op` (eight lanes in, eight out) over n elements; the last n % 8 go through a zero-padded
// copy, so every element gets the same vector arithmetic wherever its range starts.
template <class Op>
static inline void for_each_vector(size_t n, const Op& op) {
  size_t i = 0;
  for (; i + 8 <= n; i += 8) op(i, 8);
  if (i < n) op(i, static_cast<int>(n - i));
}

static inline __m256 load_part(const float* p, int count) {
  if (count == 8) return _mm256_loadu_ps(p);
  alignas(32) float lanes[8] = {};
  for (int j = 0; j < count; ++j) lanes[j] = p[j];
  return _mm256_load_ps(lanes);
}

static inline void store_part(float* p, __m256 v, int count) {
  if (count == 8) return _mm256_storeu_ps(p, v);
  alignas(32) float lanes[8];
  _mm256_store_ps(lanes, v);
  for (int j = 0; j < count; ++j) p[j] = lanes[j];
}

static void silu_mul_avx2(const float* gate, const float* up, float* out, size_t n) {
  const __m256 one = _mm256_set1_ps(1.0f);
  for_each_vector(n, [&](size_t i, int count) {
    const __m256 g = load_part(gate + i, count);
    const __m256 e = exp_avx2(_mm256_sub_ps(_mm256_setzero_ps(), g));
    store_part(out + i, _mm256_mul_ps(_mm256_div_ps(g, _mm256_add_ps(one, e)), load_part(up + i, count)), count);
  });
}

static float exp_shifted_avx2(float* row, int n, float shift, float scale) {
  const __m256 s = _mm256_set1_ps(shift), k = _mm256_set1_ps(scale);
  __m256 total = _mm256_setzero_ps();
  for_each_vector(static_cast<size_t>(n), [&](size_t i, int count) {
    const __m256 e = exp_avx2(_mm256_mul_ps(_mm256_sub_ps(load_part(row + i, count), s), k));
    store_part(row + i, e, count);
    // Padding lanes are zero before the exponential: mask them out of the sum.
    const __m256i lane = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
    const __m256 live = _mm256_castsi256_ps(_mm256_cmpgt_epi32(_mm256_set1_epi32(count), lane));
    total = _mm256_add_ps(total, _mm256_and_ps(e, live));
  });
  return horizontal_sum(total);
}

// Ten independent chains hide the FMA latency (4–5 cycles) behind two FMA ports.
static float fma_loop_avx2(int64_t iterations) {
  __m256 acc[10];
  for (int j = 0; j < 10; ++j) acc[j] = _mm256_set1_ps(static_cast<float>(j));
  const __m256 a = _mm256_set1_ps(0.999999f), b = _mm256_set1_ps(1e-7f);
  for (int64_t i = 0; i < iterations; ++i) {
    for (int j = 0; j < 10; ++j) acc[j] = _mm256_fmadd_ps(acc[j], a, b);
  }
  __m256 sum = acc[0];
  for (int j = 1; j < 10; ++j) sum = _mm256_add_ps(sum, acc[j]);
  return horizontal_sum(sum);
}

// No BF16 dot product and no two-panel tiles on AVX2: those four entries are null.
const Kernels kAvx2Kernels = {"avx2",         6,
                              gemm_tile_avx2<LoadF32>, gemm_tile_avx2<LoadBF16>,
                              gemm_tile_avx2<LoadF16>, dot_avx2,
                              axpy_avx2,      fma_loop_avx2,
                              10 * 8 * 2,     kAvx2QuantDots,
                              nullptr,        nullptr,
                              nullptr,        nullptr,
                              silu_mul_avx2,  exp_shifted_avx2};

}  // namespace anneal

#else

namespace anneal {
// Non-x86 builds: the table exists so the code links; best_kernels() never selects it.
const Kernels kAvx2Kernels = kPortableKernels;
const QuantDots kAvx2QuantDots = kPortableQuantDots;
}  // namespace anneal

#endif
