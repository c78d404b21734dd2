// The quantized products on AVX-512 VNNI: dpbusd multiplies 32 unsigned by 32 signed bytes into
// eight int32 sums in one instruction (no 16-bit intermediate to saturate), and the K-quants run on
// 512-bit vectors. This file alone is compiled with -mavx512vnni -mavx512bw -mavx512vl; the avx512
// table uses it only where the CPU has them.
#include "kernels.h"

#if defined(__x86_64__) || defined(__i386__)
// GCC 12's AVX-512 headers build 512↔256-bit moves on an "undefined" vector that its own
// -Wmaybe-uninitialized then flags (fixed in GCC 13); nothing here reads an uninitialised value.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif
#include "quant_dots_x86.h"

namespace anneal {

struct DpbusdDot {
  static __m256i dot(__m256i u, __m256i s) { return _mm256_dpbusd_epi32(_mm256_setzero_si256(), u, s); }
  // int16 lanes 0..7 (elements 0..15) by a, lanes 8..15 (elements 16..31) by b.
  static __m256i scales(int a, int b) {
    return _mm256_set_m128i(_mm_set1_epi16(static_cast<int16_t>(b)), _mm_set1_epi16(static_cast<int16_t>(a)));
  }
  // A super-block's eight sub-blocks of codes and scales as four 512-bit pairs: each step multiplies
  // 64 codes into 64 activations (maddubs: int16 pairs, which small codes cannot saturate), then
  // dpwssd applies the scales and accumulates in one instruction.
  struct SuperBlock {
    __m512i codes[4], scales[4];
  };
  static __m512i join(__m256i lo, __m256i hi) { return _mm512_inserti64x4(_mm512_castsi256_si512(lo), hi, 1); }
  static SuperBlock prepare(const __m256i* codes, const __m256i* scales) {
    SuperBlock block;
    for (int p = 0; p < 4; ++p) {
      block.codes[p] = join(codes[2 * p], codes[2 * p + 1]);
      block.scales[p] = join(scales[2 * p], scales[2 * p + 1]);
    }
    return block;
  }
  static __m256i superblock_dot(const SuperBlock& block, const int8_t* x) {
    __m512i total = _mm512_setzero_si512();
    for (int p = 0; p < 4; ++p) {
      total = _mm512_dpwssd_epi32(total, _mm512_maddubs_epi16(block.codes[p], _mm512_loadu_si512(x + 64 * p)), block.scales[p]);
    }
    return _mm256_add_epi32(_mm512_castsi512_si256(total), _mm512_extracti64x4_epi64(total, 1));
  }
};

using Vnni = x86::QuantDots<DpbusdDot>;
const QuantDots kVnniQuantDots = {"vnni",     Vnni::q8_0, Vnni::q4_0, Vnni::q4_k, Vnni::q5_k, Vnni::q6_k, Vnni::quantize_activations,
                                  &kVnniPanelDots};

}  // namespace anneal

#else

namespace anneal {
const QuantDots kVnniQuantDots = kPortableQuantDots;
}  // namespace anneal

#endif
