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

template <int ROWS>
static void tile(const uint16_t* xb, int ldx, const uint16_t* panel, int k, const float* bias, float* y, int ldy,
                 int cols, bool accumulate) {
  // Word i of the result takes word index[i] of rows k and k+1 laid end to end: 2j ← j, 2j+1 ← 16+j.
  const __m512i interleave = _mm512_set_epi16(31, 15, 30, 14, 29, 13, 28, 12, 27, 11, 26, 10, 25, 9, 24, 8, 23, 7, 22, 6,
                                              21, 5, 20, 4, 19, 3, 18, 2, 17, 1, 16, 0);
  __m512 acc[ROWS];
  for (int r = 0; r < ROWS; ++r) acc[r] = _mm512_setzero_ps();
  int kk = 0;
  for (; kk + 2 <= k; kk += 2) {
    const __m512i rows_k = _mm512_loadu_si512(panel + kk * kPanelWidth);
    const __m512bh w = reinterpret_cast<__m512bh>(_mm512_permutexvar_epi16(interleave, rows_k));
    for (int r = 0; r < ROWS; ++r) {
      const uint16_t* x = xb + r * ldx + kk;
      acc[r] = _mm512_dpbf16_ps(acc[r], pair_of(x[0], x[1]), w);
    }
  }
  if (kk < k) {  // an odd k: the last row paired with zeros
    const __m512bh w = reinterpret_cast<__m512bh>(
        _mm512_cvtepu16_epi32(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(panel + kk * kPanelWidth))));
    for (int r = 0; r < ROWS; ++r) acc[r] = _mm512_dpbf16_ps(acc[r], pair_of(xb[r * ldx + kk], 0), w);
  }
  const __mmask16 mask = static_cast<__mmask16>(cols >= 16 ? 0xFFFF : (1u << cols) - 1u);
  const __m512 b = bias ? _mm512_maskz_loadu_ps(mask, bias) : _mm512_setzero_ps();
  for (int r = 0; r < ROWS; ++r) {
    float* dst = y + r * ldy;
    __m512 v = _mm512_add_ps(acc[r], b);
    if (accumulate) v = _mm512_add_ps(v, _mm512_maskz_loadu_ps(mask, dst));
    _mm512_mask_storeu_ps(dst, mask, v);
  }
}

static void gemm_tile_bf16_dot(const uint16_t* xb, int ldx, int rows, const uint16_t* panel, int k, const float* bias,
                               float* y, int ldy, int cols, bool accumulate) {
  switch (rows) {
    case 12: return tile<12>(xb, ldx, panel, k, bias, y, ldy, cols, accumulate);
    case 11: return tile<11>(xb, ldx, panel, k, bias, y, ldy, cols, accumulate);
    case 10: return tile<10>(xb, ldx, panel, k, bias, y, ldy, cols, accumulate);
    case 9: return tile<9>(xb, ldx, panel, k, bias, y, ldy, cols, accumulate);
    case 8: return tile<8>(xb, ldx, panel, k, bias, y, ldy, cols, accumulate);
    case 7: return tile<7>(xb, ldx, panel, k, bias, y, ldy, cols, accumulate);
    case 6: return tile<6>(xb, ldx, panel, k, bias, y, ldy, cols, accumulate);
    case 5: return tile<5>(xb, ldx, panel, k, bias, y, ldy, cols, accumulate);
    case 4: return tile<4>(xb, ldx, panel, k, bias, y, ldy, cols, accumulate);
    case 3: return tile<3>(xb, ldx, panel, k, bias, y, ldy, cols, accumulate);
    case 2: return tile<2>(xb, ldx, panel, k, bias, y, ldy, cols, accumulate);
    default: return tile<1>(xb, ldx, panel, k, bias, y, ldy, cols, accumulate);
  }
}

const Bf16Dots kAvx512Bf16Dots = {"avx512-bf16", to_bf16_avx512, gemm_tile_bf16_dot};

}  // namespace anneal

#else

namespace anneal {
// Non-x86 builds: never handed out (cpu_has_avx512_bf16() is false there).
const Bf16Dots kAvx512Bf16Dots = {"none", nullptr, nullptr};
}  // namespace anneal

#endif
