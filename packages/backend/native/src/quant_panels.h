// Quantized weights regrouped for int8 GEMM tiles: sixteen weight rows interleaved four codes at a
// time, so one 64-byte vector holds four consecutive k of sixteen output features and one dpbusd
// multiplies it into four activation bytes broadcast to every lane. Per output, that is one
// instruction per four multiply-adds of sixteen features, where the row-at-a-time products
// (quant_dots_x86.h) spend several per block on loads, sign moves and scaling. AVX2 takes each
// 64-byte vector as two halves of eight features (quant_panels_avx2.cpp).
//
// The codes and scales are the GGUF blocks' own, only moved (Q8_0's codes offset by 128 to be
// dpbusd's unsigned operand), so the integer sums are exactly the row products'. Panels are built
// once at load, from a file's blocks or from quantize_weight's.
#pragma once

#include <cstddef>
#include <cstdint>

#include "dtype.h"
#include "quant_format.h"

namespace anneal {

constexpr int kQuantPanelRows = 16;  // weight rows (output features) per panel

#pragma pack(push, 1)
// Q8_0, one block of 32 k for 16 rows: codes[q][j][t] = W[j][4q + t] + 128, d[j] = row j's scale.
struct PanelBlockQ8_0 {
  uint8_t codes[kQK / 4][kQuantPanelRows][4];
  uint16_t d[kQuantPanelRows];  // F16
};
// Q4_0, one block of 32 k for 16 rows: in codes[v][j][t], the low nibble is the code (q + 8) of
// W[j][4v + t] and the high nibble that of W[j][16 + 4v + t].
struct PanelBlockQ4_0 {
  uint8_t codes[4][kQuantPanelRows][4];
  uint16_t d[kQuantPanelRows];  // F16
};
// Q4_K, one super-block of 256 k for 16 rows. In codes[s][v][j][t], the low nibble is the code of
// W[j][32s + 4v + t] and the high nibble that of W[j][32s + 16 + 4v + t]; scales[s][j] and
// mins[s][j] are sub-block s's 6-bit scale and minimum for row j.
struct PanelBlockQ4_K {
  uint8_t codes[8][4][kQuantPanelRows][4];
  uint8_t scales[8][kQuantPanelRows];
  uint8_t mins[8][kQuantPanelRows];
  uint16_t d[kQuantPanelRows], dmin[kQuantPanelRows];  // F16
};
// Q5_K, one super-block of 256 k for 16 rows: codes, scales, mins, d and dmin as Q4_K's panel (the
// low four bits of each code), and bit v of high[s][j][t] the top bit of W[j][32s + 4v + t]'s code,
// bit 4 + v that of W[j][32s + 16 + 4v + t]'s.
struct PanelBlockQ5_K {
  uint8_t codes[8][4][kQuantPanelRows][4];
  uint8_t high[8][kQuantPanelRows][4];
  uint8_t scales[8][kQuantPanelRows];
  uint8_t mins[8][kQuantPanelRows];
  uint16_t d[kQuantPanelRows], dmin[kQuantPanelRows];  // F16
};
// Q6_K, one super-block of 256 k for 16 rows, codes c = q + 32 (six bits). In low[s][v][j][t], the
// low nibble is the low four bits of W[j][32s + 4v + t]'s code and the high nibble those of
// W[j][32s + 16 + 4v + t]'s; bits 2v, 2v + 1 of high[s][h][j][t] are the top two bits of
// W[j][32s + 16h + 4v + t]'s. scales[s][j] are row j's scales of sub-blocks 2s and 2s + 1 (of 16).
struct PanelBlockQ6_K {
  uint8_t low[8][4][kQuantPanelRows][4];
  uint8_t high[8][2][kQuantPanelRows][4];
  int8_t scales[8][kQuantPanelRows][2];
  uint16_t d[kQuantPanelRows];  // F16
};
#pragma pack(pop)
static_assert(sizeof(PanelBlockQ8_0) == 16 * sizeof(BlockQ8_0), "a Q8_0 panel is its rows' bytes");
static_assert(sizeof(PanelBlockQ4_0) == 16 * sizeof(BlockQ4_0), "a Q4_0 panel is its rows' bytes");
static_assert(sizeof(PanelBlockQ4_K) == 2368, "a Q4_K panel adds 14 bytes a row per super-block");
static_assert(sizeof(PanelBlockQ5_K) == 2880, "a Q5_K panel adds 4 bytes a row per super-block");
static_assert(sizeof(PanelBlockQ6_K) == 16 * sizeof(BlockQ6_K), "a Q6_K panel is its rows' bytes");

// Bytes of one panel (16 rows) of k values.
size_t panel_bytes(DType type, int k);
// Panels [begin, end) of n GGUF rows of k values (rows back to back), panel p at out + p · panel_bytes:
// panel p holds rows 16p .. 16p + 15, those past n as zero weights. ceil(n / 16) panels in all.
void repack_to_panels(DType type, const uint8_t* rows, int n, int k, int begin, int end, uint8_t* out);

}  // namespace anneal
