// The int8 GEMM tiles over quant_panels.h's panels on AVX2, for CPUs without AVX-512 VNNI: a panel's
// sixteen features as two halves of eight (one 256-bit vector holds four codes of each of eight
// features), maddubs multiplying them into four activation bytes broadcast to every lane. maddubs
// sums pairs of products into int16, so the 4-, 5- and 6-bit codes add several such vectors in int16
// before one madd widens them and applies the sub-block's scale in the same instruction; Q8_0's
// codes, a whole byte, would saturate that and take the sign trick instead (|w| · sign(x, w)),
// widened at once. The integer sums are exactly the row products'. This file alone is compiled with
// -mavx2 -mfma -mf16c; the avx2 table (and avx512's, without VNNI) uses it only where the CPU has them.
#include "kernels.h"

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>

#include <cstring>
#include <type_traits>

#include "quant_panels.h"

namespace anneal {
namespace {

constexpr int kHalf = kQuantPanelRows / 2;  // features per vector of eight int32 lanes
// Rows of activations one tile multiplies: what the sixteen vector registers hold without spilling.
constexpr int kTileRows = 4;

// Pins a running sum to a register at this point. Integer adds associate, so GCC otherwise regroups a
// tile's chain of adds into a tree whose leaves — every maddubs product of a sub-block — are live
// at once, and spills most of them to the stack (the tile then ran at a third of the int8 peak).
inline void settle(__m256i& sum) { asm("" : "+x"(sum)); }

__m256i load(const void* p) { return _mm256_loadu_si256(static_cast<const __m256i*>(p)); }

__m256i broadcast4(const void* bytes) {
  int32_t four;
  std::memcpy(&four, bytes, 4);
  return _mm256_set1_epi32(four);
}

__m256 widen_halves(const uint16_t* bits) { return _mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(bits))); }

// Eight unsigned byte scales as int32 lanes holding the scale in both int16 halves: madd of int16
// pairs by it is scale · (the pair's sum).
__m256i twice(const uint8_t* eight) {
  const __m256i s = _mm256_cvtepu8_epi32(_mm_loadl_epi64(reinterpret_cast<const __m128i*>(eight)));
  return _mm256_or_si256(s, _mm256_slli_epi32(s, 16));
}

// Rows is a template argument so that every per-row value lives in a register; one half (eight
// features) at a time, both halves per block while it is in L1. out[r][16].
template <int Rows>
void q8_0_tile(const uint8_t* panel, const uint8_t* acts, size_t stride, int k, float* out) {
  __m256 sum[Rows][2];
  for (int r = 0; r < Rows; ++r) sum[r][0] = sum[r][1] = _mm256_setzero_ps();
  const auto* blocks = reinterpret_cast<const PanelBlockQ8_0*>(panel);
  const __m256i flip = _mm256_set1_epi8(static_cast<char>(0x80)), ones = _mm256_set1_epi16(1);
  for (int b = 0; b < k / kQK; ++b) {
    const PanelBlockQ8_0& block = blocks[b];
    const ActBlock32* a[Rows];
    for (int r = 0; r < Rows; ++r) a[r] = reinterpret_cast<const ActBlock32*>(acts + r * stride) + b;
    for (int h = 0; h < 2; ++h) {
      __m256i acc[Rows];
      for (int r = 0; r < Rows; ++r) acc[r] = _mm256_setzero_si256();
      for (int q = 0; q < kQK / 4; ++q) {
        const __m256i w = _mm256_xor_si256(load(block.codes[q][kHalf * h]), flip);  // the codes are w + 128
        const __m256i magnitude = _mm256_sign_epi8(w, w);                          // |w| as unsigned
        for (int r = 0; r < Rows; ++r) {
          const __m256i x = _mm256_sign_epi8(broadcast4(a[r]->qs + 4 * q), w);
          acc[r] = _mm256_add_epi32(acc[r], _mm256_madd_epi16(_mm256_maddubs_epi16(magnitude, x), ones));
          settle(acc[r]);
        }
      }
      const __m256 d = widen_halves(block.d + kHalf * h);
      for (int r = 0; r < Rows; ++r) {
        sum[r][h] = _mm256_fmadd_ps(_mm256_cvtepi32_ps(acc[r]), _mm256_mul_ps(d, _mm256_set1_ps(a[r]->d)), sum[r][h]);
      }
    }
  }
  for (int r = 0; r < Rows; ++r)
    for (int h = 0; h < 2; ++h) _mm256_storeu_ps(out + kQuantPanelRows * r + kHalf * h, sum[r][h]);
}

// Q4_0: each broadcast of four activation bytes feeds both halves of the panel (sixteen features);
// the broadcasts cost as much issue as the products.
template <int Rows>
void q4_0_tile(const uint8_t* panel, const uint8_t* acts, size_t stride, int k, float* out) {
  __m256 sum[Rows][2];
  for (int r = 0; r < Rows; ++r) sum[r][0] = sum[r][1] = _mm256_setzero_ps();
  const auto* blocks = reinterpret_cast<const PanelBlockQ4_0*>(panel);
  const __m256i low4 = _mm256_set1_epi8(0x0F);
  for (int b = 0; b < k / kQK; ++b) {
    const PanelBlockQ4_0& block = blocks[b];
    const ActBlock32* a[Rows];
    for (int r = 0; r < Rows; ++r) a[r] = reinterpret_cast<const ActBlock32*>(acts + r * stride) + b;
    __m256i acc[Rows][2];  // int16: eight products of codes < 16 stay under 2^15
    for (int v = 0; v < 4; ++v) {
      __m256i low[2], high[2];
      for (int h = 0; h < 2; ++h) {
        const __m256i packed = load(block.codes[v][kHalf * h]);
        low[h] = _mm256_and_si256(packed, low4);
        high[h] = _mm256_and_si256(_mm256_srli_epi16(packed, 4), low4);
      }
      for (int r = 0; r < Rows; ++r) {
        const __m256i x_low = broadcast4(a[r]->qs + 4 * v), x_high = broadcast4(a[r]->qs + 16 + 4 * v);
        for (int h = 0; h < 2; ++h) {
          const __m256i products = _mm256_add_epi16(_mm256_maddubs_epi16(low[h], x_low), _mm256_maddubs_epi16(high[h], x_high));
          acc[r][h] = v == 0 ? products : _mm256_add_epi16(acc[r][h], products);
          settle(acc[r][h]);
        }
      }
    }
    for (int h = 0; h < 2; ++h) {
      const __m256 d = widen_halves(block.d + kHalf * h);
      for (int r = 0; r < Rows; ++r) {
        // the codes are q + 8: take 8 · Σx back off
        const __m256i exact = _mm256_sub_epi32(_mm256_madd_epi16(acc[r][h], _mm256_set1_epi16(1)), _mm256_set1_epi32(8 * a[r]->sum));
        sum[r][h] = _mm256_fmadd_ps(_mm256_cvtepi32_ps(exact), _mm256_mul_ps(d, _mm256_set1_ps(a[r]->d)), sum[r][h]);
      }
    }
  }
  for (int r = 0; r < Rows; ++r)
    for (int h = 0; h < 2; ++h) _mm256_storeu_ps(out + kQuantPanelRows * r + kHalf * h, sum[r][h]);
}

// Bit `Bit` of each byte of `high`, moved to bit 4 (the top of a five-bit code).
template <int Bit>
__m256i fifth_bit(__m256i high) {
  const __m256i bit4 = _mm256_set1_epi8(0x10);
  if constexpr (Bit < 4) return _mm256_and_si256(_mm256_slli_epi16(high, 4 - Bit), bit4);
  if constexpr (Bit == 4) return _mm256_and_si256(high, bit4);
  return _mm256_and_si256(_mm256_srli_epi16(high, Bit - 4), bit4);
}

// Adds one super-block's sums into out[r][8 features of a half]: d · a.d · total, less
// dmin · a.d · minimums where the format has minimums (Q4_K, Q5_K; null for Q6_K).
template <int Rows>
void add_scaled(const ActBlock256* const (&a)[Rows], const uint16_t* d_bits, const __m256i (&total)[Rows],
                const uint16_t* dmin_bits, const __m256i* minimums, float* out) {
  const __m256 d = widen_halves(d_bits);
  const __m256 dmin = minimums ? widen_halves(dmin_bits) : _mm256_setzero_ps();
  for (int r = 0; r < Rows; ++r) {
    const __m256 scale = _mm256_set1_ps(a[r]->d);
    float* o = out + kQuantPanelRows * r;
    __m256 v = _mm256_fmadd_ps(_mm256_cvtepi32_ps(total[r]), _mm256_mul_ps(d, scale), _mm256_loadu_ps(o));
    if (minimums) v = _mm256_fnmadd_ps(_mm256_cvtepi32_ps(minimums[r]), _mm256_mul_ps(dmin, scale), v);
    _mm256_storeu_ps(o, v);
  }
}

// Q4_K's tile, and Q5_K's (the same scales and minimums, a fifth bit on every code). A sub-block's
// products add up in int16 before one madd applies its scale: all eight vectors of Q4_K's codes
// (< 16), four of Q5_K's (< 32). Each broadcast of four activation bytes feeds both halves of the
// panel (sixteen features). Sums accumulate in out, once a super-block.
template <class Block, int Rows>
void k_quant_tile(const uint8_t* panel, const uint8_t* acts, size_t stride, int k, float* out) {
  constexpr bool kFifthBit = std::is_same_v<Block, PanelBlockQ5_K>;
  constexpr int kQuadsPerWiden = kFifthBit ? 2 : 4;
  for (int i = 0; i < Rows * kQuantPanelRows; ++i) out[i] = 0;
  const __m256i low4 = _mm256_set1_epi8(0x0F);
  for (int b = 0; b < k / kQKK; ++b) {
    const Block& block = reinterpret_cast<const Block*>(panel)[b];
    const ActBlock256* a[Rows];
    for (int r = 0; r < Rows; ++r) a[r] = reinterpret_cast<const ActBlock256*>(acts + r * stride) + b;
    __m256i total[Rows][2], minimums[Rows][2];
    for (int r = 0; r < Rows; ++r) total[r][0] = total[r][1] = minimums[r][0] = minimums[r][1] = _mm256_setzero_si256();
    for (int s = 0; s < 8; ++s) {
      __m256i acc[Rows][2];
      const auto quads = [&](auto v_constant) {
        constexpr int v = decltype(v_constant)::value;
        __m256i low[2], upper[2];
        for (int h = 0; h < 2; ++h) {
          const __m256i packed = load(block.codes[s][v][kHalf * h]);
          low[h] = _mm256_and_si256(packed, low4);
          upper[h] = _mm256_and_si256(_mm256_srli_epi16(packed, 4), low4);
          if constexpr (kFifthBit) {
            const __m256i high = load(block.high[s][kHalf * h]);
            low[h] = _mm256_or_si256(low[h], fifth_bit<v>(high));
            upper[h] = _mm256_or_si256(upper[h], fifth_bit<4 + v>(high));
          }
        }
        for (int r = 0; r < Rows; ++r) {
          const __m256i x_low = broadcast4(a[r]->qs + 32 * s + 4 * v), x_upper = broadcast4(a[r]->qs + 32 * s + 16 + 4 * v);
          for (int h = 0; h < 2; ++h) {
            const __m256i products = _mm256_add_epi16(_mm256_maddubs_epi16(low[h], x_low), _mm256_maddubs_epi16(upper[h], x_upper));
            acc[r][h] = v % kQuadsPerWiden == 0 ? products : _mm256_add_epi16(acc[r][h], products);
            settle(acc[r][h]);
          }
        }
        if constexpr ((v + 1) % kQuadsPerWiden == 0) {
          for (int h = 0; h < 2; ++h) {
            const __m256i scales = twice(block.scales[s] + kHalf * h);
            for (int r = 0; r < Rows; ++r) total[r][h] = _mm256_add_epi32(total[r][h], _mm256_madd_epi16(acc[r][h], scales));
          }
        }
      };
      quads(std::integral_constant<int, 0>());
      quads(std::integral_constant<int, 1>());
      quads(std::integral_constant<int, 2>());
      quads(std::integral_constant<int, 3>());
    }
    // Σ m_s · (sum of sub-block s's activations) from the sums of 16: each m_s twice a lane.
    for (int s = 0; s < 8; ++s) {
      for (int r = 0; r < Rows; ++r) {
        const __m256i sums = broadcast4(a[r]->sums + 2 * s);
        for (int h = 0; h < 2; ++h)
          minimums[r][h] = _mm256_add_epi32(minimums[r][h], _mm256_madd_epi16(twice(block.mins[s] + kHalf * h), sums));
      }
    }
    for (int h = 0; h < 2; ++h) {
      __m256i half_total[Rows], half_minimums[Rows];
      for (int r = 0; r < Rows; ++r) half_total[r] = total[r][h], half_minimums[r] = minimums[r][h];
      add_scaled<Rows>(a, block.d + kHalf * h, half_total, block.dmin + kHalf * h, half_minimums, out + kHalf * h);
    }
  }
}

// Bits 2v, 2v + 1 of each byte of `high`, moved to bits 4 and 5 (the top of a six-bit code).
template <int V>
__m256i top_bits(__m256i high) {
  const __m256i bits45 = _mm256_set1_epi8(0x30);
  if constexpr (V < 2) return _mm256_and_si256(_mm256_slli_epi16(high, 4 - 2 * V), bits45);
  if constexpr (V == 2) return _mm256_and_si256(high, bits45);
  return _mm256_and_si256(_mm256_srli_epi16(high, 2), bits45);
}

// Q6_K: each panel sub-block s holds two of the 16 sub-blocks (low and high nibbles, each with its
// own scale); they are taken one after the other so a row keeps two registers. Six-bit codes (< 64)
// let two vectors add up in int16 before a madd.
template <int Rows>
void q6_k_tile(const uint8_t* panel, const uint8_t* acts, size_t stride, int k, float* out) {
  for (int i = 0; i < Rows * kQuantPanelRows; ++i) out[i] = 0;
  const __m256i low4 = _mm256_set1_epi8(0x0F);
  for (int b = 0; b < k / kQKK; ++b) {
    const PanelBlockQ6_K& block = reinterpret_cast<const PanelBlockQ6_K*>(panel)[b];
    const ActBlock256* a[Rows];
    for (int r = 0; r < Rows; ++r) a[r] = reinterpret_cast<const ActBlock256*>(acts + r * stride) + b;
    for (int h = 0; h < 2; ++h) {
      const int j0 = kHalf * h;
      __m256i total[Rows], offsets[Rows];
      for (int r = 0; r < Rows; ++r) total[r] = offsets[r] = _mm256_setzero_si256();
      for (int s = 0; s < 8; ++s) {
        // Row j's scales of sub-blocks 2s and 2s + 1 as an int16 pair; each alone twice a lane.
        const __m256i pairs = _mm256_cvtepi8_epi16(_mm_loadu_si128(reinterpret_cast<const __m128i*>(block.scales[s][j0])));
        const auto part = [&](auto nibble_constant) {
          constexpr int nibble = decltype(nibble_constant)::value;  // 0: sub-block 2s, 1: 2s + 1
          constexpr int pick = nibble == 0 ? 0xA0 : 0xF5;             // words (0,0,2,2) or (1,1,3,3)
          const __m256i scale = _mm256_shufflehi_epi16(_mm256_shufflelo_epi16(pairs, pick), pick);
          const __m256i high = load(block.high[s][nibble][j0]);
          __m256i acc[Rows];
          for (int r = 0; r < Rows; ++r) acc[r] = _mm256_setzero_si256();
          const auto quads = [&](auto v_constant) {
            constexpr int v = decltype(v_constant)::value;
            const __m256i packed = load(block.low[s][v][j0]);
            const __m256i nibbles = nibble == 0 ? packed : _mm256_srli_epi16(packed, 4);
            const __m256i codes = _mm256_or_si256(_mm256_and_si256(nibbles, low4), top_bits<v>(high));
            // No settle() here: with two products a widen, GCC's own grouping measured faster (settled: 0.85×).
            for (int r = 0; r < Rows; ++r)
              acc[r] = _mm256_add_epi16(acc[r], _mm256_maddubs_epi16(codes, broadcast4(a[r]->qs + 32 * s + 16 * nibble + 4 * v)));
            if constexpr (v % 2 == 1) {
              for (int r = 0; r < Rows; ++r) {
                total[r] = _mm256_add_epi32(total[r], _mm256_madd_epi16(acc[r], scale));
                acc[r] = _mm256_setzero_si256();
              }
            }
          };
          quads(std::integral_constant<int, 0>());
          quads(std::integral_constant<int, 1>());
          quads(std::integral_constant<int, 2>());
          quads(std::integral_constant<int, 3>());
        };
        part(std::integral_constant<int, 0>());
        part(std::integral_constant<int, 1>());
        // Σ sc · (sum of the sub-block's activations), for the codes' offset of 32.
        for (int r = 0; r < Rows; ++r)
          offsets[r] = _mm256_add_epi32(offsets[r], _mm256_madd_epi16(pairs, broadcast4(a[r]->sums + 2 * s)));
      }
      for (int r = 0; r < Rows; ++r) total[r] = _mm256_sub_epi32(total[r], _mm256_slli_epi32(offsets[r], 5));
      add_scaled<Rows>(a, block.d + j0, total, nullptr, nullptr, out + j0);
    }
  }
}

using Tile = void (*)(const uint8_t*, const uint8_t*, size_t, int, float*);

// out[r][j] for r < rows ≤ kMaxQuantRows, kTileRows rows at a time.
void in_tiles(const Tile (&tiles)[kTileRows + 1], const uint8_t* panel, const uint8_t* acts, size_t stride, int rows,
              int k, float* out) {
  for (int r0 = 0; r0 < rows; r0 += kTileRows) {
    const int count = rows - r0 < kTileRows ? rows - r0 : kTileRows;
    tiles[count](panel, acts + r0 * stride, stride, k, out + kQuantPanelRows * r0);
  }
}

void q8_0_panel(const uint8_t* panel, const uint8_t* acts, size_t stride, int rows, int k, float* out) {
  static const Tile tiles[] = {nullptr, q8_0_tile<1>, q8_0_tile<2>, q8_0_tile<3>, q8_0_tile<4>};
  in_tiles(tiles, panel, acts, stride, rows, k, out);
}

void q4_0_panel(const uint8_t* panel, const uint8_t* acts, size_t stride, int rows, int k, float* out) {
  static const Tile tiles[] = {nullptr, q4_0_tile<1>, q4_0_tile<2>, q4_0_tile<3>, q4_0_tile<4>};
  in_tiles(tiles, panel, acts, stride, rows, k, out);
}

void q4_k_panel(const uint8_t* panel, const uint8_t* acts, size_t stride, int rows, int k, float* out) {
  using B = PanelBlockQ4_K;
  static const Tile tiles[] = {nullptr, k_quant_tile<B, 1>, k_quant_tile<B, 2>, k_quant_tile<B, 3>, k_quant_tile<B, 4>};
  in_tiles(tiles, panel, acts, stride, rows, k, out);
}

void q5_k_panel(const uint8_t* panel, const uint8_t* acts, size_t stride, int rows, int k, float* out) {
  using B = PanelBlockQ5_K;
  static const Tile tiles[] = {nullptr, k_quant_tile<B, 1>, k_quant_tile<B, 2>, k_quant_tile<B, 3>, k_quant_tile<B, 4>};
  in_tiles(tiles, panel, acts, stride, rows, k, out);
}

void q6_k_panel(const uint8_t* panel, const uint8_t* acts, size_t stride, int rows, int k, float* out) {
  static const Tile tiles[] = {nullptr, q6_k_tile<1>, q6_k_tile<2>, q6_k_tile<3>, q6_k_tile<4>};
  in_tiles(tiles, panel, acts, stride, rows, k, out);
}

// A register-only loop of the 4-bit products' inner step (maddubs, then an int16 add): the int8 peak
// here. Ten independent chains, each maddubs reading its own accumulator so none can be hoisted.
float maddubs_loop(int64_t iterations) {
  __m256i acc[10];
  for (int j = 0; j < 10; ++j) acc[j] = _mm256_set1_epi16(static_cast<int16_t>(j));
  const __m256i s = _mm256_set1_epi8(-2);
  for (int64_t i = 0; i < iterations; ++i) {
    for (int j = 0; j < 10; ++j) acc[j] = _mm256_add_epi16(acc[j], _mm256_maddubs_epi16(acc[j], s));
  }
  __m256i total = acc[0];
  for (int j = 1; j < 10; ++j) total = _mm256_add_epi16(total, acc[j]);
  return static_cast<float>(_mm256_extract_epi16(total, 0));
}

}  // namespace

const QuantPanelDots kAvx2PanelDots = {q8_0_panel, q4_0_panel, q4_k_panel, q5_k_panel, q6_k_panel, maddubs_loop, 10 * 32 * 2};

}  // namespace anneal

#else

namespace anneal {
const QuantPanelDots kAvx2PanelDots = {};
}  // namespace anneal

#endif
