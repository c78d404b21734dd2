// The quantized products for x86, written once over 32-byte vectors and an int8 dot-product
// primitive: AVX2's maddubs/madd (kernels_avx2.cpp) or AVX-512 VNNI's dpbusd (quant_dots_vnni.cpp).
// Include only from a file compiled for the primitive's instructions (plus AVX2, FMA and F16C).
//
// Each kernel takes one weight row and up to kMaxQuantRows activation rows: a weight block is
// decoded once and multiplied into every row. The integer sums are exact; only the per-block
// float scaling differs in rounding from the portable twin.
#pragma once

#include <immintrin.h>

#include <type_traits>

#include "kernels.h"
#include "quant_format.h"

namespace anneal {
namespace x86 {

// `Dot` is the int8 primitive: dot(u, s) gives signed lanes of 8 int32, lane i the sum over elements
// 4i .. 4i+3 (both primitives agree on this); superblock_dot(prepare(codes, scales), x) gives
// Σ_j scale_j · (codes_j · x_j) over a K-quant super-block's eight sub-blocks of 32, spread over 8
// int32 lanes (only their total counts).
template <class Dot>
struct QuantDots {
  static float widen_half(uint16_t bits) { return _cvtsh_ss(bits); }

  static float sum(__m256 v) {
    __m128 lo = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    lo = _mm_add_ps(lo, _mm_movehl_ps(lo, lo));
    lo = _mm_add_ss(lo, _mm_movehdup_ps(lo));
    return _mm_cvtss_f32(lo);
  }

  static __m256i load(const void* p) { return _mm256_loadu_si256(static_cast<const __m256i*>(p)); }

  static int sum_epi32(__m256i v) {
    __m128i lo = _mm_add_epi32(_mm256_castsi256_si128(v), _mm256_extracti128_si256(v, 1));
    lo = _mm_add_epi32(lo, _mm_shuffle_epi32(lo, 0x4E));
    lo = _mm_add_epi32(lo, _mm_shuffle_epi32(lo, 0xB1));
    return _mm_cvtsi128_si32(lo);
  }

  // The portable quantize_activations, eight lanes at a time: the same max, the same scalar scale,
  // the same products and round-to-nearest-even (cvtps under the default MXCSR), so the same bytes.
  static void quantize_activations(DType weight, const float* x, int k, uint8_t* out) {
    const __m256 magnitude = _mm256_castsi256_ps(_mm256_set1_epi32(0x7FFFFFFF));
    const bool super = activation_block_elements(weight) == kQKK;
    __m256 scale = _mm256_setzero_ps();
    for (int c = 0; c < k / kQK; ++c, x += kQK) {  // chunks of 32 (a K-quant block has 8)
      __m256 v[4];
      for (int i = 0; i < 4; ++i) v[i] = _mm256_loadu_ps(x + 8 * i);
      if (!super || c % 8 == 0) {  // the scale is per block: 32 values, or the 256 from here
        const int span = super ? 8 : 1;
        __m256 m = _mm256_setzero_ps();
        for (int j = 0; j < 4 * span; ++j) m = _mm256_max_ps(m, _mm256_and_ps(_mm256_loadu_ps(x + 8 * j), magnitude));
        __m128 h = _mm_max_ps(_mm256_castps256_ps128(m), _mm256_extractf128_ps(m, 1));
        h = _mm_max_ps(h, _mm_movehl_ps(h, h));
        h = _mm_max_ss(h, _mm_movehdup_ps(h));
        const float amax = _mm_cvtss_f32(h);
        const float d = amax / 127, inverse = amax ? 127 / amax : 0;
        if (super) {
          reinterpret_cast<ActBlock256*>(out)[c / 8].d = d;
        } else {
          reinterpret_cast<ActBlock32*>(out)[c].d = d;
        }
        scale = _mm256_set1_ps(inverse);
      }
      __m256i q[4];
      for (int i = 0; i < 4; ++i) q[i] = _mm256_cvtps_epi32(_mm256_mul_ps(v[i], scale));
      // int32 → int8 with packs (lane-interleaved), then the lanes back in element order.
      const __m256i bytes = _mm256_permutevar8x32_epi32(
          _mm256_packs_epi16(_mm256_packs_epi32(q[0], q[1]), _mm256_packs_epi32(q[2], q[3])),
          _mm256_setr_epi32(0, 4, 1, 5, 2, 6, 3, 7));
      if (super) {
        ActBlock256& block = reinterpret_cast<ActBlock256*>(out)[c / 8];
        _mm256_storeu_si256(reinterpret_cast<__m256i*>(block.qs + 32 * (c % 8)), bytes);
        block.sums[2 * (c % 8)] = static_cast<int16_t>(sum_epi32(_mm256_add_epi32(q[0], q[1])));
        block.sums[2 * (c % 8) + 1] = static_cast<int16_t>(sum_epi32(_mm256_add_epi32(q[2], q[3])));
      } else {
        ActBlock32& block = reinterpret_cast<ActBlock32*>(out)[c];
        _mm256_storeu_si256(reinterpret_cast<__m256i*>(block.qs), bytes);
        block.sum = sum_epi32(_mm256_add_epi32(_mm256_add_epi32(q[0], q[1]), _mm256_add_epi32(q[2], q[3])));
      }
    }
  }

  static void q8_0(const uint8_t* w, const uint8_t* acts, size_t stride, int rows, int k, float* out) {
    __m256 acc[kMaxQuantRows];
    for (int r = 0; r < rows; ++r) acc[r] = _mm256_setzero_ps();
    const auto* blocks = reinterpret_cast<const BlockQ8_0*>(w);
    for (int b = 0; b < k / kQK; ++b) {
      const __m256i q = load(blocks[b].qs);
      const __m256i magnitude = _mm256_sign_epi8(q, q);  // |w| as unsigned; the sign moves onto x
      const float d = widen_half(blocks[b].d);
      for (int r = 0; r < rows; ++r) {
        const ActBlock32& a = reinterpret_cast<const ActBlock32*>(acts + r * stride)[b];
        const __m256i dot = Dot::dot(magnitude, _mm256_sign_epi8(load(a.qs), q));
        acc[r] = _mm256_fmadd_ps(_mm256_cvtepi32_ps(dot), _mm256_set1_ps(d * a.d), acc[r]);
      }
    }
    for (int r = 0; r < rows; ++r) out[r] = sum(acc[r]);
  }

  static void q4_0(const uint8_t* w, const uint8_t* acts, size_t stride, int rows, int k, float* out) {
    __m256 acc[kMaxQuantRows];
    float offset[kMaxQuantRows] = {};
    for (int r = 0; r < rows; ++r) acc[r] = _mm256_setzero_ps();
    const auto* blocks = reinterpret_cast<const BlockQ4_0*>(w);
    const __m128i low4 = _mm_set1_epi8(0x0F);
    for (int b = 0; b < k / kQK; ++b) {
      const __m128i packed = _mm_loadu_si128(reinterpret_cast<const __m128i*>(blocks[b].qs));
      // Codes 0..15 in element order: low nibbles are elements 0..15, high nibbles 16..31.
      const __m256i codes = _mm256_set_m128i(_mm_and_si128(_mm_srli_epi16(packed, 4), low4), _mm_and_si128(packed, low4));
      const float d = widen_half(blocks[b].d);
      for (int r = 0; r < rows; ++r) {
        const ActBlock32& a = reinterpret_cast<const ActBlock32*>(acts + r * stride)[b];
        const float scale = d * a.d;
        acc[r] = _mm256_fmadd_ps(_mm256_cvtepi32_ps(Dot::dot(codes, load(a.qs))), _mm256_set1_ps(scale), acc[r]);
        offset[r] += scale * 8 * a.sum;  // the codes are q + 8
      }
    }
    for (int r = 0; r < rows; ++r) out[r] = sum(acc[r]) - offset[r];
  }

  // Q4_K's product, and Q5_K's: the same scales and minimums; Q5_K's codes take a fifth bit from qh,
  // bit j of whose bytes is the top bit of sub-block j's codes.
  template <class Block>
  static void k_quant(const uint8_t* w, const uint8_t* acts, size_t stride, int rows, int k, float* out) {
    __m256 acc[kMaxQuantRows];
    for (int r = 0; r < rows; ++r) acc[r] = _mm256_setzero_ps();
    const auto* blocks = reinterpret_cast<const Block*>(w);
    const __m256i low4 = _mm256_set1_epi8(0x0F), bit4 = _mm256_set1_epi8(0x10);
    for (int b = 0; b < k / kQKK; ++b) {
      const Block& block = blocks[b];
      const float d = widen_half(block.d), dmin = widen_half(block.dmin);
      uint8_t sc[8], m[8];
      for (int j = 0; j < 8; ++j) q4k_scale_min(block.scales, j, sc[j], m[j]);
      // Sub-block 2c is the low nibbles of bytes 32c.., sub-block 2c + 1 their high nibbles.
      __m256i codes[8], scales[8];
      for (int c = 0; c < 4; ++c) {
        const __m256i packed = load(block.qs + 32 * c);
        codes[2 * c] = _mm256_and_si256(packed, low4);
        codes[2 * c + 1] = _mm256_and_si256(_mm256_srli_epi16(packed, 4), low4);
      }
      if constexpr (std::is_same_v<Block, BlockQ5_K>) {
        // Bit j of each qh byte moved to bit 4 (16-bit shifts of at most 4 keep a byte's bits in it).
        const __m256i high = load(block.qh);
        const __m256i top[8] = {
            _mm256_slli_epi16(high, 4), _mm256_slli_epi16(high, 3), _mm256_slli_epi16(high, 2), _mm256_slli_epi16(high, 1),
            high,                       _mm256_srli_epi16(high, 1), _mm256_srli_epi16(high, 2), _mm256_srli_epi16(high, 3)};
        for (int j = 0; j < 8; ++j) codes[j] = _mm256_or_si256(codes[j], _mm256_and_si256(top[j], bit4));
      }
      for (int j = 0; j < 8; ++j) scales[j] = Dot::scales(sc[j], sc[j]);
      const typename Dot::SuperBlock prepared = Dot::prepare(codes, scales);
      // Σ m_j · (sum of sub-block j's activations) from the 16 sums of 16: each m_j twice.
      const __m256i mins = _mm256_setr_epi16(m[0], m[0], m[1], m[1], m[2], m[2], m[3], m[3], m[4], m[4], m[5], m[5], m[6],
                                             m[6], m[7], m[7]);
      for (int r = 0; r < rows; ++r) {
        const ActBlock256& a = reinterpret_cast<const ActBlock256*>(acts + r * stride)[b];
        const __m256i total = Dot::superblock_dot(prepared, a.qs);
        const __m256i minimums = _mm256_madd_epi16(load(a.sums), mins);
        acc[r] = _mm256_fmadd_ps(_mm256_cvtepi32_ps(total), _mm256_set1_ps(d * a.d), acc[r]);
        acc[r] = _mm256_fnmadd_ps(_mm256_cvtepi32_ps(minimums), _mm256_set1_ps(dmin * a.d), acc[r]);
      }
    }
    for (int r = 0; r < rows; ++r) out[r] = sum(acc[r]);
  }

  static void q4_k(const uint8_t* w, const uint8_t* acts, size_t stride, int rows, int k, float* out) {
    k_quant<BlockQ4_K>(w, acts, stride, rows, k, out);
  }

  static void q5_k(const uint8_t* w, const uint8_t* acts, size_t stride, int rows, int k, float* out) {
    k_quant<BlockQ5_K>(w, acts, stride, rows, k, out);
  }

  static void q6_k(const uint8_t* w, const uint8_t* acts, size_t stride, int rows, int k, float* out) {
    __m256 acc[kMaxQuantRows];
    for (int r = 0; r < rows; ++r) acc[r] = _mm256_setzero_ps();
    const auto* blocks = reinterpret_cast<const BlockQ6_K*>(w);
    const __m256i low4 = _mm256_set1_epi8(0x0F), bits45 = _mm256_set1_epi8(0x30);
    for (int b = 0; b < k / kQKK; ++b) {
      const BlockQ6_K& block = blocks[b];
      const float d = widen_half(block.d);
      // Codes 0..63 (q + 32) for elements 32j .. 32j+31, j = 0..7; 16-bit shifts, then byte masks.
      __m256i codes[8], scales[8];
      for (int h = 0; h < 2; ++h) {
        const __m256i low0 = load(block.ql + 64 * h), low1 = load(block.ql + 64 * h + 32), high = load(block.qh + 32 * h);
        codes[4 * h + 0] = _mm256_or_si256(_mm256_and_si256(low0, low4), _mm256_and_si256(_mm256_slli_epi16(high, 4), bits45));
        codes[4 * h + 1] = _mm256_or_si256(_mm256_and_si256(low1, low4), _mm256_and_si256(_mm256_slli_epi16(high, 2), bits45));
        codes[4 * h + 2] = _mm256_or_si256(_mm256_and_si256(_mm256_srli_epi16(low0, 4), low4), _mm256_and_si256(high, bits45));
        codes[4 * h + 3] =
            _mm256_or_si256(_mm256_and_si256(_mm256_srli_epi16(low1, 4), low4), _mm256_and_si256(_mm256_srli_epi16(high, 2), bits45));
      }
      for (int j = 0; j < 8; ++j) scales[j] = Dot::scales(block.scales[2 * j], block.scales[2 * j + 1]);
      const typename Dot::SuperBlock prepared = Dot::prepare(codes, scales);
      __m256i scale16 = _mm256_cvtepi8_epi16(_mm_loadu_si128(reinterpret_cast<const __m128i*>(block.scales)));
      for (int r = 0; r < rows; ++r) {
        const ActBlock256& a = reinterpret_cast<const ActBlock256*>(acts + r * stride)[b];
        const __m256i total = Dot::superblock_dot(prepared, a.qs);
        // The codes are q + 32: take 32 · Σ sc_j · (sum of sub-block j) back off.
        const __m256i offsets = _mm256_madd_epi16(load(a.sums), scale16);
        const __m256 scale = _mm256_set1_ps(d * a.d);
        acc[r] = _mm256_fmadd_ps(_mm256_cvtepi32_ps(_mm256_sub_epi32(total, _mm256_slli_epi32(offsets, 5))), scale, acc[r]);
      }
    }
    for (int r = 0; r < rows; ++r) out[r] = sum(acc[r]);
  }
};

}  // namespace x86
}  // namespace anneal
