// BF16 weights on AVX-512 BF16's vdpbf16ps. This file alone is compiled with -mavx512bf16;
// avx512_kernels() hands it out only after checking the CPU.
//
// vdpbf16ps adds, in each of 16 float lanes, the two products of a pair of BF16 values from each
// operand. A weight panel stores 16 output features k-major (row k = W[n0..n0+15][k]), so rows k and
// k+1 are 32 consecutive BF16 values; one word permute interleaves them into the 16 pairs
// (W[j][k], W[j][k+1]), and the activation pair (x[k], x[k+1]) is one broadcast 32-bit value. So
// each instruction does 32 multiply-adds where the widening path does 16 per FMA, with no widening.
#include "kernels.h"

#if defined(__x86_64__) || defined(__i386__)
// GCC 12's avx512fintrin.h trips its own -Wuninitialized (see kernels_avx512.cpp).
#pragma GCC diagnostic ignored "-Wuninitialized"
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#include <immintrin.h>

#include <cstring>

namespace anneal {

static void to_bf16_avx512(const float* x, int n, uint16_t* out) {
  int i = 0;
  for (; i + 16 <= n; i += 16) {
    const __m256bh packed = _mm512_cvtneps_pbh(_mm512_loadu_ps(x + i));
    std::memcpy(out + i, &packed, 32);
  }
  if (i < n) {
    const __mmask16 mask = static_cast<__mmask16>((1u << (n - i)) - 1u);
    const __m256bh packed = _mm512_cvtneps_pbh(_mm512_maskz_loadu_ps(mask, x + i));
    uint16_t tail[16];
    std::memcpy(tail, &packed, 32);
    std::memcpy(out + i, tail, static_cast<size_t>(n - i) * 2);
  }
}

// The 32-bit word holding BF16 values a (low half) and b (high half), broadcast to every lane.
static __m512bh pair_of(uint16_t a, uint16_t b) {
  return reinterpret_cast<__m512bh>(_mm512_set1_epi32(static_cast<int>(static_cast<uint32_t>(a) | (uint32_t{b} << 16))));
}

// ROWS × (16 · PANELS) outputs: per pair of k, one permuted weight load per panel feeds ROWS
// instructions each. Two panels give 24 independent accumulators at 12 rows — vdpbf16ps's latency
// needs about 16 in flight to keep both ports busy, which one panel's 12 cannot.
template <int ROWS, int PANELS>
static void tile(const uint16_t* xb, int ldx, const uint16_t* panel, size_t panel_stride, int k, const float* bias,
                 float* y, int ldy, int cols, bool accumulate) {
  // Word i of the result takes word index[i] of rows k and k+1 laid end to end: 2j ← j, 2j+1 ← 16+j.
  const __m512i interleave = _mm512_set_epi16(31, 15, 30, 14, 29, 13, 28, 12, 27, 11, 26, 10, 25, 9, 24, 8, 23, 7, 22, 6,
                                              21, 5, 20, 4, 19, 3, 18, 2, 17, 1, 16, 0);
  __m512 acc[PANELS][ROWS];
  for (int p = 0; p < PANELS; ++p)
    for (int r = 0; r < ROWS; ++r) acc[p][r] = _mm512_setzero_ps();
  int kk = 0;
  for (; kk + 2 <= k; kk += 2) {
    __m512bh w[PANELS];
    for (int p = 0; p < PANELS; ++p) {
      const __m512i rows_k = _mm512_loadu_si512(panel + p * panel_stride + kk * kPanelWidth);
      w[p] = reinterpret_cast<__m512bh>(_mm512_permutexvar_epi16(interleave, rows_k));
    }
    for (int r = 0; r < ROWS; ++r) {
      const uint16_t* x = xb + r * ldx + kk;
      const __m512bh pair = pair_of(x[0], x[1]);
      for (int p = 0; p < PANELS; ++p) acc[p][r] = _mm512_dpbf16_ps(acc[p][r], pair, w[p]);
    }
  }
  if (kk < k) {  // an odd k: the last row paired with zeros
    for (int p = 0; p < PANELS; ++p) {
      const __m512bh w = reinterpret_cast<__m512bh>(_mm512_cvtepu16_epi32(
          _mm256_loadu_si256(reinterpret_cast<const __m256i*>(panel + p * panel_stride + kk * kPanelWidth))));
      for (int r = 0; r < ROWS; ++r) acc[p][r] = _mm512_dpbf16_ps(acc[p][r], pair_of(xb[r * ldx + kk], 0), w);
    }
  }
  for (int p = 0; p < PANELS; ++p) {
    const int left = cols - p * kPanelWidth;
    const __mmask16 mask = static_cast<__mmask16>(left >= 16 ? 0xFFFF : (1u << left) - 1u);
    const __m512 b = bias ? _mm512_maskz_loadu_ps(mask, bias + p * kPanelWidth) : _mm512_setzero_ps();
    for (int r = 0; r < ROWS; ++r) {
      float* dst = y + r * ldy + p * kPanelWidth;
      __m512 v = _mm512_add_ps(acc[p][r], b);
      if (accumulate) v = _mm512_add_ps(v, _mm512_maskz_loadu_ps(mask, dst));
      _mm512_mask_storeu_ps(dst, mask, v);
    }
  }
}

template <int PANELS>
static void tiles(const uint16_t* xb, int ldx, int rows, const uint16_t* panel, size_t panel_stride, int k,
                  const float* bias, float* y, int ldy, int cols, bool accumulate) {
  switch (rows) {
    case 12: return tile<12, PANELS>(xb, ldx, panel, panel_stride, k, bias, y, ldy, cols, accumulate);
    case 11: return tile<11, PANELS>(xb, ldx, panel, panel_stride, k, bias, y, ldy, cols, accumulate);
    case 10: return tile<10, PANELS>(xb, ldx, panel, panel_stride, k, bias, y, ldy, cols, accumulate);
    case 9: return tile<9, PANELS>(xb, ldx, panel, panel_stride, k, bias, y, ldy, cols, accumulate);
    case 8: return tile<8, PANELS>(xb, ldx, panel, panel_stride, k, bias, y, ldy, cols, accumulate);
    case 7: return tile<7, PANELS>(xb, ldx, panel, panel_stride, k, bias, y, ldy, cols, accumulate);
    case 6: return tile<6, PANELS>(xb, ldx, panel, panel_stride, k, bias, y, ldy, cols, accumulate);
    case 5: return tile<5, PANELS>(xb, ldx, panel, panel_stride, k, bias, y, ldy, cols, accumulate);
    case 4: return tile<4, PANELS>(xb, ldx, panel, panel_stride, k, bias, y, ldy, cols, accumulate);
    case 3: return tile<3, PANELS>(xb, ldx, panel, panel_stride, k, bias, y, ldy, cols, accumulate);
    case 2: return tile<2, PANELS>(xb, ldx, panel, panel_stride, k, bias, y, ldy, cols, accumulate);
    default: return tile<1, PANELS>(xb, ldx, panel, panel_stride, k, bias, y, ldy, cols, accumulate);
  }
}

// Two panels (32 columns) at once where there are two, else one.
static void gemm_tile_bf16_dot(const uint16_t* xb, int ldx, int rows, const uint16_t* panel, size_t panel_stride,
                               int panels, int k, const float* bias, float* y, int ldy, int cols, bool accumulate) {
  if (panels >= 2) return tiles<2>(xb, ldx, rows, panel, panel_stride, k, bias, y, ldy, cols, accumulate);
  tiles<1>(xb, ldx, rows, panel, panel_stride, k, bias, y, ldy, cols, accumulate);
}

// Sixteen independent chains (vdpbf16ps has a longer latency than an FMA, so ten would wait on it):
// 16 lanes × 2 products × 2 flops each per instruction.
static float dot_loop_avx512(int64_t iterations) {
  constexpr int kChains = 16;
  __m512 acc[kChains];
  for (int j = 0; j < kChains; ++j) acc[j] = _mm512_set1_ps(static_cast<float>(j));
  const __m512bh a = pair_of(0x3f80, 0x3f80), b = pair_of(0x3400, 0x3400);  // 1.0 and 2^-23
  for (int64_t i = 0; i < iterations; ++i) {
    for (int j = 0; j < kChains; ++j) acc[j] = _mm512_dpbf16_ps(acc[j], a, b);
  }
  __m512 sum = acc[0];
  for (int j = 1; j < kChains; ++j) sum = _mm512_add_ps(sum, acc[j]);
  return _mm512_reduce_add_ps(sum);
}

const Bf16Dots kAvx512Bf16Dots = {"avx512-bf16", to_bf16_avx512, gemm_tile_bf16_dot, dot_loop_avx512, 16 * 16 * 2 * 2};

}  // namespace anneal

#else

namespace anneal {
// Non-x86 builds: never handed out (cpu_has_avx512_bf16() is false there).
const Bf16Dots kAvx512Bf16Dots = {"none", nullptr, nullptr, nullptr, 0};
}  // namespace anneal

#endif
