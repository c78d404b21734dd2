// The quantized products on AVX-512 VNNI: dpbusd multiplies 32 unsigned by 32 signed bytes into
// eight int32 sums in one instruction (no 16-bit intermediate to saturate). This file alone is
// compiled with -mavx512vnni -mavx512vl; the avx512 table uses it only where the CPU has both.
#include "kernels.h"

#if defined(__x86_64__) || defined(__i386__)
#include "quant_dots_x86.h"

namespace anneal {

struct DpbusdDot {
  static __m256i dot(__m256i u, __m256i s) { return _mm256_dpbusd_epi32(_mm256_setzero_si256(), u, s); }
  // int16 lanes 0..7 (elements 0..15) by a, lanes 8..15 (elements 16..31) by b.
  static __m256i scales(int a, int b) {
    return _mm256_set_m128i(_mm_set1_epi16(static_cast<int16_t>(b)), _mm_set1_epi16(static_cast<int16_t>(a)));
  }
  // total + scale · (u · s): pairs of products as int16 (small codes cannot saturate), then dpwssd
  // multiplies them by the scales and adds into total in one instruction.
  static __m256i add_scaled(__m256i total, __m256i u, __m256i s, __m256i scale) {
    return _mm256_dpwssd_epi32(total, _mm256_maddubs_epi16(u, s), scale);
  }
};

using Vnni = x86::QuantDots<DpbusdDot>;
const QuantDots kVnniQuantDots = {"vnni", Vnni::q8_0, Vnni::q4_0, Vnni::q4_k, Vnni::q6_k, Vnni::quantize_activations};

}  // namespace anneal

#else

namespace anneal {
const QuantDots kVnniQuantDots = kPortableQuantDots;
}  // namespace anneal

#endif
