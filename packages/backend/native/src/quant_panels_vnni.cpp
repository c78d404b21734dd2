// The int8 GEMM tiles over quant_panels.h's panels, on AVX-512 VNNI: sixteen output features of up
// to eight activation rows at once, each dpbusd multiplying four codes of every feature into four
// activation bytes broadcast from memory. Integer sums per block (Q8_0) or sub-block (the K-quants), then
// the float scales once per block, as the row products do. This file alone is compiled with
// -mavx512vnni -mavx512bw -mavx512vl; the avx512 table uses it only where the CPU has them.
#include "kernels.h"

#if defined(__x86_64__) || defined(__i386__)
// GCC 12's AVX-512 headers build 512↔256-bit moves on an "undefined" vector that its own
// -W(maybe-)uninitialized then flags (fixed in GCC 13); nothing here reads an uninitialised value.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wuninitialized"
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif
#include <immintrin.h>

#include <cstring>
#include <type_traits>

#include "quant_panels.h"

namespace anneal {

static __m512i broadcast4(const void* bytes) {
  int32_t four;
  std::memcpy(&four, bytes, 4);
  return _mm512_set1_epi32(four);
}

static __m512 widen_halves(const uint16_t* bits) {
  return _mm512_cvtph_ps(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(bits)));
}

// Rows and Panels are template arguments so that every per-row value lives in a register. Panels
// consecutive panels (panel_stride bytes apart) share each broadcast of four activation bytes: two
// feed two dpbusd per broadcast, which the one-panel tiles' loads bound. out[r][16 · Panels].
template <int Rows, int Panels>
static void q8_0_tile(const uint8_t* panel, size_t panel_stride, const uint8_t* acts, size_t stride, int k, float* out) {
  __m512 sum[Rows][Panels];
  for (int r = 0; r < Rows; ++r)
    for (int h = 0; h < Panels; ++h) sum[r][h] = _mm512_setzero_ps();
  for (int b = 0; b < k / kQK; ++b) {
    const PanelBlockQ8_0* block[Panels];
    for (int h = 0; h < Panels; ++h) block[h] = reinterpret_cast<const PanelBlockQ8_0*>(panel + h * panel_stride) + b;
    const ActBlock32* a[Rows];
    __m512i acc[Rows][Panels];
    for (int r = 0; r < Rows; ++r) {
      a[r] = reinterpret_cast<const ActBlock32*>(acts + r * stride) + b;
      // the codes are w + 128: take 128 · Σx back off
      for (int h = 0; h < Panels; ++h) acc[r][h] = _mm512_set1_epi32(-128 * a[r]->sum);
    }
    for (int q = 0; q < kQK / 4; ++q) {
      __m512i codes[Panels];
      for (int h = 0; h < Panels; ++h) codes[h] = _mm512_loadu_si512(block[h]->codes[q]);
      for (int r = 0; r < Rows; ++r) {
        const __m512i x = broadcast4(a[r]->qs + 4 * q);
        for (int h = 0; h < Panels; ++h) acc[r][h] = _mm512_dpbusd_epi32(acc[r][h], codes[h], x);
      }
    }
    for (int h = 0; h < Panels; ++h) {
      const __m512 d = widen_halves(block[h]->d);
      for (int r = 0; r < Rows; ++r) {
        sum[r][h] = _mm512_fmadd_ps(_mm512_cvtepi32_ps(acc[r][h]), _mm512_mul_ps(d, _mm512_set1_ps(a[r]->d)), sum[r][h]);
      }
    }
  }
  for (int r = 0; r < Rows; ++r)
    for (int h = 0; h < Panels; ++h) _mm512_storeu_ps(out + Panels * kQuantPanelRows * r + kQuantPanelRows * h, sum[r][h]);
}

template <int Rows>
static void q4_0_tile(const uint8_t* panel, const uint8_t* acts, size_t stride, int k, float* out) {
  __m512 sum[Rows];
  for (int r = 0; r < Rows; ++r) sum[r] = _mm512_setzero_ps();
  const auto* blocks = reinterpret_cast<const PanelBlockQ4_0*>(panel);
  const __m512i low4 = _mm512_set1_epi8(0x0F);
  for (int b = 0; b < k / kQK; ++b) {
    const PanelBlockQ4_0& block = blocks[b];
    const ActBlock32* a[Rows];
    __m512i acc[Rows];
    for (int r = 0; r < Rows; ++r) {
      a[r] = reinterpret_cast<const ActBlock32*>(acts + r * stride) + b;
      acc[r] = _mm512_set1_epi32(-8 * a[r]->sum);  // the codes are q + 8: take 8 · Σx back off
    }
    for (int v = 0; v < 4; ++v) {
      const __m512i packed = _mm512_loadu_si512(block.codes[v]);
      const __m512i low = _mm512_and_si512(packed, low4), high = _mm512_and_si512(_mm512_srli_epi16(packed, 4), low4);
      for (int r = 0; r < Rows; ++r) {
        acc[r] = _mm512_dpbusd_epi32(acc[r], low, broadcast4(a[r]->qs + 4 * v));
        acc[r] = _mm512_dpbusd_epi32(acc[r], high, broadcast4(a[r]->qs + 16 + 4 * v));
      }
    }
    const __m512 d = widen_halves(block.d);
    for (int r = 0; r < Rows; ++r) {
      sum[r] = _mm512_fmadd_ps(_mm512_cvtepi32_ps(acc[r]), _mm512_mul_ps(d, _mm512_set1_ps(a[r]->d)), sum[r]);
    }
  }
  for (int r = 0; r < Rows; ++r) _mm512_storeu_ps(out + kQuantPanelRows * r, sum[r]);
}

// Bit `Bit` of each byte of `high`, moved to bit 4 (the top of a five-bit code); 16-bit shifts of at
// most four keep every byte's bits within it.
template <int Bit>
static __m512i fifth_bit(__m512i high) {
  const __m512i bit4 = _mm512_set1_epi8(0x10);
  if constexpr (Bit < 4) return _mm512_and_si512(_mm512_slli_epi16(high, 4 - Bit), bit4);
  if constexpr (Bit == 4) return _mm512_and_si512(high, bit4);
  return _mm512_and_si512(_mm512_srli_epi16(high, Bit - 4), bit4);
}

// Q4_K's tile, and Q5_K's (Block = PanelBlockQ5_K: the same scales and minimums, a fifth bit on every
// code). Each row keeps four vectors a panel (sub-block sum, super-block total, minimums, float sum):
// four rows at most for one panel, three for two.
template <class Block, int Rows, int Panels>
static void k_quant_tile(const uint8_t* panel, size_t panel_stride, const uint8_t* acts, size_t stride, int k,
                         float* out) {
  constexpr bool kFifthBit = std::is_same_v<Block, PanelBlockQ5_K>;
  __m512 sum[Rows][Panels];
  for (int r = 0; r < Rows; ++r)
    for (int h = 0; h < Panels; ++h) sum[r][h] = _mm512_setzero_ps();
  const __m512i low4 = _mm512_set1_epi8(0x0F);
  for (int b = 0; b < k / kQKK; ++b) {
    const Block* block[Panels];
    for (int h = 0; h < Panels; ++h) block[h] = reinterpret_cast<const Block*>(panel + h * panel_stride) + b;
    const ActBlock256* a[Rows];
    __m512i total[Rows][Panels], minimums[Rows][Panels];
    for (int r = 0; r < Rows; ++r) {
      a[r] = reinterpret_cast<const ActBlock256*>(acts + r * stride) + b;
      for (int h = 0; h < Panels; ++h) total[r][h] = minimums[r][h] = _mm512_setzero_si512();
    }
    for (int s = 0; s < 8; ++s) {
      __m512i acc[Rows][Panels], high[Panels];
      for (int r = 0; r < Rows; ++r)
        for (int h = 0; h < Panels; ++h) acc[r][h] = _mm512_setzero_si512();
      if constexpr (kFifthBit) {
        for (int h = 0; h < Panels; ++h) high[h] = _mm512_loadu_si512(block[h]->high[s]);
      }
      const auto quads = [&](auto v_constant) {
        constexpr int v = decltype(v_constant)::value;
        __m512i low[Panels], upper[Panels];
        for (int h = 0; h < Panels; ++h) {
          const __m512i packed = _mm512_loadu_si512(block[h]->codes[s][v]);
          low[h] = _mm512_and_si512(packed, low4);
          upper[h] = _mm512_and_si512(_mm512_srli_epi16(packed, 4), low4);
          if constexpr (kFifthBit) {
            low[h] = _mm512_or_si512(low[h], fifth_bit<v>(high[h]));
            upper[h] = _mm512_or_si512(upper[h], fifth_bit<4 + v>(high[h]));
          }
        }
        for (int r = 0; r < Rows; ++r) {
          const __m512i x = broadcast4(a[r]->qs + 32 * s + 4 * v), y = broadcast4(a[r]->qs + 32 * s + 16 + 4 * v);
          for (int h = 0; h < Panels; ++h) acc[r][h] = _mm512_dpbusd_epi32(_mm512_dpbusd_epi32(acc[r][h], low[h], x), upper[h], y);
        }
      };
      quads(std::integral_constant<int, 0>());
      quads(std::integral_constant<int, 1>());
      quads(std::integral_constant<int, 2>());
      quads(std::integral_constant<int, 3>());
      for (int h = 0; h < Panels; ++h) {
        const __m512i scales = _mm512_cvtepu8_epi32(_mm_loadu_si128(reinterpret_cast<const __m128i*>(block[h]->scales[s])));
        const __m512i mins = _mm512_cvtepu8_epi32(_mm_loadu_si128(reinterpret_cast<const __m128i*>(block[h]->mins[s])));
        // (m, m) as int16 pairs, so one dpwssd gives m · (sum of the sub-block's two halves of 16).
        const __m512i mins_twice = _mm512_or_si512(mins, _mm512_slli_epi32(mins, 16));
        for (int r = 0; r < Rows; ++r) {
          total[r][h] = _mm512_add_epi32(total[r][h], _mm512_mullo_epi32(acc[r][h], scales));
          minimums[r][h] = _mm512_dpwssd_epi32(minimums[r][h], mins_twice, broadcast4(a[r]->sums + 2 * s));
        }
      }
    }
    for (int h = 0; h < Panels; ++h) {
      const __m512 d = widen_halves(block[h]->d), dmin = widen_halves(block[h]->dmin);
      for (int r = 0; r < Rows; ++r) {
        const __m512 scale = _mm512_set1_ps(a[r]->d);
        sum[r][h] = _mm512_fmadd_ps(_mm512_cvtepi32_ps(total[r][h]), _mm512_mul_ps(d, scale), sum[r][h]);
        sum[r][h] = _mm512_fnmadd_ps(_mm512_cvtepi32_ps(minimums[r][h]), _mm512_mul_ps(dmin, scale), sum[r][h]);
      }
    }
  }
  for (int r = 0; r < Rows; ++r)
    for (int h = 0; h < Panels; ++h) _mm512_storeu_ps(out + Panels * kQuantPanelRows * r + kQuantPanelRows * h, sum[r][h]);
}

// Bits 2v, 2v + 1 of each byte of `high`, moved to bits 4 and 5 (the top of a six-bit code).
template <int V>
static __m512i top_bits(__m512i high) {
  const __m512i bits45 = _mm512_set1_epi8(0x30);
  if constexpr (V < 2) return _mm512_and_si512(_mm512_slli_epi16(high, 4 - 2 * V), bits45);
  if constexpr (V == 2) return _mm512_and_si512(high, bits45);
  return _mm512_and_si512(_mm512_srli_epi16(high, 2), bits45);
}

// Four rows at most: each keeps five vectors (two half sums, the total, the offsets, the float sum).
template <int Rows>
static void q6_k_tile(const uint8_t* panel, const uint8_t* acts, size_t stride, int k, float* out) {
  __m512 sum[Rows];
  for (int r = 0; r < Rows; ++r) sum[r] = _mm512_setzero_ps();
  const auto* blocks = reinterpret_cast<const PanelBlockQ6_K*>(panel);
  const __m512i low4 = _mm512_set1_epi8(0x0F);
  for (int b = 0; b < k / kQKK; ++b) {
    const PanelBlockQ6_K& block = blocks[b];
    const ActBlock256* a[Rows];
    __m512i total[Rows], offsets[Rows];
    for (int r = 0; r < Rows; ++r) {
      a[r] = reinterpret_cast<const ActBlock256*>(acts + r * stride) + b;
      total[r] = offsets[r] = _mm512_setzero_si512();
    }
    for (int s = 0; s < 8; ++s) {
      __m512i first[Rows], second[Rows];  // sub-blocks 2s and 2s + 1 (of 16)
      for (int r = 0; r < Rows; ++r) first[r] = second[r] = _mm512_setzero_si512();
      const __m512i high0 = _mm512_loadu_si512(block.high[s][0]), high1 = _mm512_loadu_si512(block.high[s][1]);
      const auto quads = [&](auto v_constant) {
        constexpr int v = decltype(v_constant)::value;
        const __m512i packed = _mm512_loadu_si512(block.low[s][v]);
        const __m512i codes0 = _mm512_or_si512(_mm512_and_si512(packed, low4), top_bits<v>(high0));
        const __m512i codes1 = _mm512_or_si512(_mm512_and_si512(_mm512_srli_epi16(packed, 4), low4), top_bits<v>(high1));
        for (int r = 0; r < Rows; ++r) {
          first[r] = _mm512_dpbusd_epi32(first[r], codes0, broadcast4(a[r]->qs + 32 * s + 4 * v));
          second[r] = _mm512_dpbusd_epi32(second[r], codes1, broadcast4(a[r]->qs + 32 * s + 16 + 4 * v));
        }
      };
      quads(std::integral_constant<int, 0>());
      quads(std::integral_constant<int, 1>());
      quads(std::integral_constant<int, 2>());
      quads(std::integral_constant<int, 3>());
      // Row j's two scales as an int16 pair, and each alone as int32.
      const __m512i pairs = _mm512_cvtepi8_epi16(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(block.scales[s])));
      const __m512i scale0 = _mm512_srai_epi32(_mm512_slli_epi32(pairs, 16), 16), scale1 = _mm512_srai_epi32(pairs, 16);
      for (int r = 0; r < Rows; ++r) {
        total[r] = _mm512_add_epi32(total[r], _mm512_add_epi32(_mm512_mullo_epi32(first[r], scale0), _mm512_mullo_epi32(second[r], scale1)));
        // Σ sc · (sum of the sub-block's activations), for the codes' offset of 32.
        offsets[r] = _mm512_dpwssd_epi32(offsets[r], pairs, broadcast4(a[r]->sums + 2 * s));
      }
    }
    const __m512 d = widen_halves(block.d);
    for (int r = 0; r < Rows; ++r) {
      const __m512i exact = _mm512_sub_epi32(total[r], _mm512_slli_epi32(offsets[r], 5));
      sum[r] = _mm512_fmadd_ps(_mm512_cvtepi32_ps(exact), _mm512_mul_ps(d, _mm512_set1_ps(a[r]->d)), sum[r]);
    }
  }
  for (int r = 0; r < Rows; ++r) _mm512_storeu_ps(out + kQuantPanelRows * r, sum[r]);
}

using Tile = void (*)(const uint8_t*, const uint8_t*, size_t, int, float*);

// out[r][j] for r < rows ≤ kMaxQuantRows, in tiles of at most `widest` rows.
template <int Widest>
static void in_tiles(const Tile (&tiles)[Widest + 1], const uint8_t* panel, const uint8_t* acts, size_t stride, int rows,
                     int k, float* out) {
  for (int r0 = 0; r0 < rows; r0 += Widest) {
    const int count = rows - r0 < Widest ? rows - r0 : Widest;
    tiles[count](panel, acts + r0 * stride, stride, k, out + kQuantPanelRows * r0);
  }
}

using PanelsTile = void (*)(const uint8_t*, size_t, const uint8_t*, size_t, int, float*);

// The same over Panels consecutive panels at once: out[r][16 · Panels].
template <int Panels, int Widest>
static void panels_in_tiles(const PanelsTile (&tiles)[Widest + 1], const uint8_t* panel, size_t panel_stride,
                            const uint8_t* acts, size_t stride, int rows, int k, float* out) {
  for (int r0 = 0; r0 < rows; r0 += Widest) {
    const int count = rows - r0 < Widest ? rows - r0 : Widest;
    tiles[count](panel, panel_stride, acts + r0 * stride, stride, k, out + Panels * kQuantPanelRows * r0);
  }
}

static void q8_0_panel(const uint8_t* panel, const uint8_t* acts, size_t stride, int rows, int k, float* out) {
  static const PanelsTile tiles[] = {nullptr,           q8_0_tile<1, 1>, q8_0_tile<2, 1>, q8_0_tile<3, 1>, q8_0_tile<4, 1>,
                                     q8_0_tile<5, 1>, q8_0_tile<6, 1>, q8_0_tile<7, 1>, q8_0_tile<8, 1>};
  panels_in_tiles<1, 8>(tiles, panel, 0, acts, stride, rows, k, out);
}

static void q8_0_pair(const uint8_t* panel, size_t panel_stride, const uint8_t* acts, size_t stride, int rows, int k,
                      float* out) {
  static const PanelsTile tiles[] = {nullptr,         q8_0_tile<1, 2>, q8_0_tile<2, 2>, q8_0_tile<3, 2>,
                                     q8_0_tile<4, 2>, q8_0_tile<5, 2>, q8_0_tile<6, 2>};
  panels_in_tiles<2, 6>(tiles, panel, panel_stride, acts, stride, rows, k, out);
}

static void q4_0_panel(const uint8_t* panel, const uint8_t* acts, size_t stride, int rows, int k, float* out) {
  static const Tile tiles[] = {nullptr,       q4_0_tile<1>, q4_0_tile<2>, q4_0_tile<3>, q4_0_tile<4>,
                               q4_0_tile<5>, q4_0_tile<6>, q4_0_tile<7>, q4_0_tile<8>};
  in_tiles<8>(tiles, panel, acts, stride, rows, k, out);
}

static void q4_k_panel(const uint8_t* panel, const uint8_t* acts, size_t stride, int rows, int k, float* out) {
  using B = PanelBlockQ4_K;
  static const PanelsTile tiles[] = {nullptr, k_quant_tile<B, 1, 1>, k_quant_tile<B, 2, 1>, k_quant_tile<B, 3, 1>,
                                     k_quant_tile<B, 4, 1>};
  panels_in_tiles<1, 4>(tiles, panel, 0, acts, stride, rows, k, out);
}

static void q4_k_pair(const uint8_t* panel, size_t panel_stride, const uint8_t* acts, size_t stride, int rows, int k,
                      float* out) {
  using B = PanelBlockQ4_K;
  static const PanelsTile tiles[] = {nullptr, k_quant_tile<B, 1, 2>, k_quant_tile<B, 2, 2>, k_quant_tile<B, 3, 2>};
  panels_in_tiles<2, 3>(tiles, panel, panel_stride, acts, stride, rows, k, out);
}

static void q5_k_panel(const uint8_t* panel, const uint8_t* acts, size_t stride, int rows, int k, float* out) {
  using B = PanelBlockQ5_K;
  static const PanelsTile tiles[] = {nullptr, k_quant_tile<B, 1, 1>, k_quant_tile<B, 2, 1>, k_quant_tile<B, 3, 1>,
                                     k_quant_tile<B, 4, 1>};
  panels_in_tiles<1, 4>(tiles, panel, 0, acts, stride, rows, k, out);
}

static void q6_k_panel(const uint8_t* panel, const uint8_t* acts, size_t stride, int rows, int k, float* out) {
  static const Tile tiles[] = {nullptr, q6_k_tile<1>, q6_k_tile<2>, q6_k_tile<3>, q6_k_tile<4>};
  in_tiles<4>(tiles, panel, acts, stride, rows, k, out);
}

// A register-only dpbusd loop (the int8 peak): ten independent 512-bit accumulators.
static float dpbusd_loop(int64_t iterations) {
  __m512i acc[10];
  for (int j = 0; j < 10; ++j) acc[j] = _mm512_set1_epi32(j);
  const __m512i u = _mm512_set1_epi8(3), s = _mm512_set1_epi8(-2);
  for (int64_t i = 0; i < iterations; ++i) {
    for (int j = 0; j < 10; ++j) acc[j] = _mm512_dpbusd_epi32(acc[j], u, s);
  }
  __m512i total = acc[0];
  for (int j = 1; j < 10; ++j) total = _mm512_add_epi32(total, acc[j]);
  return static_cast<float>(_mm512_reduce_add_epi32(total));
}

const QuantPanelDots kVnniPanelDots = {q8_0_panel, q4_0_panel,  q4_k_panel, q5_k_panel, q6_k_panel,
                                       dpbusd_loop, 10 * 64 * 2, q8_0_pair,  q4_k_pair};

}  // namespace anneal

#else

namespace anneal {
const QuantPanelDots kVnniPanelDots = {};
}  // namespace anneal

#endif
