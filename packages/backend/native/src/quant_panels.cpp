// Repacking GGUF rows into the int8 GEMM panels of quant_panels.h (done once, at load).
#include "quant_panels.h"

#include <cstring>
#include <stdexcept>
#include <string>
#include <type_traits>

namespace anneal {

size_t panel_bytes(DType type, int k) {
  switch (type) {
    case DType::Q8_0: return sizeof(PanelBlockQ8_0) * (k / kQK);
    case DType::Q4_0: return sizeof(PanelBlockQ4_0) * (k / kQK);
    case DType::Q4_K: return sizeof(PanelBlockQ4_K) * (k / kQKK);
    case DType::Q5_K: return sizeof(PanelBlockQ5_K) * (k / kQKK);
    case DType::Q6_K: return sizeof(PanelBlockQ6_K) * (k / kQKK);
    default: throw std::invalid_argument(std::string("no panel layout for ") + dtype_name(type));
  }
}

// Repacking moves four codes at a time as one 32-bit word (an 8B model has eight billion codes).
static uint32_t word(const uint8_t* bytes) {
  uint32_t w;
  std::memcpy(&w, bytes, 4);
  return w;
}

static void put(uint8_t* bytes, uint32_t w) { std::memcpy(bytes, &w, 4); }

// Missing rows stay all zero: with d = 0 they add nothing, whatever their codes.
static void panel_q8_0(const uint8_t* rows, size_t row_bytes, int first, int n, int k, PanelBlockQ8_0* out) {
  for (int b = 0; b < k / kQK; ++b) {
    PanelBlockQ8_0& panel = out[b];
    std::memset(&panel, 0, sizeof panel);
    for (int j = 0; j < kQuantPanelRows && first + j < n; ++j) {
      const BlockQ8_0& block = reinterpret_cast<const BlockQ8_0*>(rows + row_bytes * (first + j))[b];
      panel.d[j] = block.d;
      // q + 128 as a byte is q with its top bit flipped.
      for (int q = 0; q < kQK / 4; ++q) put(panel.codes[q][j], word(reinterpret_cast<const uint8_t*>(block.qs) + 4 * q) ^ 0x80808080u);
    }
  }
}

static void panel_q4_0(const uint8_t* rows, size_t row_bytes, int first, int n, int k, PanelBlockQ4_0* out) {
  for (int b = 0; b < k / kQK; ++b) {
    PanelBlockQ4_0& panel = out[b];
    std::memset(&panel, 0, sizeof panel);
    for (int j = 0; j < kQuantPanelRows && first + j < n; ++j) {
      const BlockQ4_0& block = reinterpret_cast<const BlockQ4_0*>(rows + row_bytes * (first + j))[b];
      panel.d[j] = block.d;
      // The block's byte i holds elements i (low nibble) and i + 16 (high): bytes 4v .. 4v + 3 are
      // exactly the panel's v-th four codes of both halves.
      for (int v = 0; v < 4; ++v) std::memcpy(panel.codes[v][j], block.qs + 4 * v, 4);
    }
  }
}

constexpr uint32_t kLowNibbles = 0x0F0F0F0Fu;

// Q4_K's and Q5_K's panels (the same d, dmin, packed scales and four-bit qs), and Q5_K's fifth bits.
template <class Block, class Panel>
static void panel_k_quant(const uint8_t* rows, size_t row_bytes, int first, int n, int k, Panel* out) {
  for (int b = 0; b < k / kQKK; ++b) {
    Panel& panel = out[b];
    std::memset(&panel, 0, sizeof panel);
    for (int j = 0; j < kQuantPanelRows && first + j < n; ++j) {
      const Block& block = reinterpret_cast<const Block*>(rows + row_bytes * (first + j))[b];
      panel.d[j] = block.d;
      panel.dmin[j] = block.dmin;
      for (int s = 0; s < 8; ++s) {
        q4k_scale_min(block.scales, s, panel.scales[s][j], panel.mins[s][j]);
        // Sub-block s is the low (s even) or high (s odd) nibbles of bytes 32 · (s / 2) ..
        const uint8_t* qs = block.qs + 32 * (s / 2);
        for (int v = 0; v < 4; ++v) {
          const uint32_t first_half = word(qs + 4 * v), second_half = word(qs + 16 + 4 * v);
          put(panel.codes[s][v][j], s % 2 == 0 ? (first_half & kLowNibbles) | ((second_half & kLowNibbles) << 4)
                                               : ((first_half >> 4) & kLowNibbles) | (second_half & ~kLowNibbles));
          if constexpr (std::is_same_v<Block, BlockQ5_K>) {
            for (int t = 0; t < 4; ++t) {
              const int l = 4 * v + t;
              panel.high[s][j][t] |= static_cast<uint8_t>((((block.qh[l] >> s) & 1) << v) | (((block.qh[l + 16] >> s) & 1) << (4 + v)));
            }
          }
        }
      }
    }
  }
}

// A Q6_K block's 256 codes (q + 32, six bits) in element order: within each half of 128, element
// 32m + l has its low four bits in ql (byte l or l + 32, low nibble for m < 2) and its top two in qh[l].
static void q6k_codes(const BlockQ6_K& block, uint8_t* codes) {
  for (int h = 0; h < 2; ++h) {
    const uint8_t *ql = block.ql + 64 * h, *qh = block.qh + 32 * h;
    uint8_t* c = codes + 128 * h;
    for (int l = 0; l < 32; ++l) {
      c[l] = static_cast<uint8_t>((ql[l] & 0xF) | ((qh[l] & 3) << 4));
      c[l + 32] = static_cast<uint8_t>((ql[l + 32] & 0xF) | (((qh[l] >> 2) & 3) << 4));
      c[l + 64] = static_cast<uint8_t>((ql[l] >> 4) | (((qh[l] >> 4) & 3) << 4));
      c[l + 96] = static_cast<uint8_t>((ql[l + 32] >> 4) | (((qh[l] >> 6) & 3) << 4));
    }
  }
}

static void panel_q6_k(const uint8_t* rows, size_t row_bytes, int first, int n, int k, PanelBlockQ6_K* out) {
  uint8_t codes[kQKK];
  for (int b = 0; b < k / kQKK; ++b) {
    PanelBlockQ6_K& panel = out[b];
    std::memset(&panel, 0, sizeof panel);
    for (int j = 0; j < kQuantPanelRows && first + j < n; ++j) {
      const BlockQ6_K& block = reinterpret_cast<const BlockQ6_K*>(rows + row_bytes * (first + j))[b];
      panel.d[j] = block.d;
      q6k_codes(block, codes);
      for (int s = 0; s < 8; ++s) {
        panel.scales[s][j][0] = block.scales[2 * s];
        panel.scales[s][j][1] = block.scales[2 * s + 1];
        uint32_t high[2] = {0, 0};
        for (int v = 0; v < 4; ++v) {
          const uint32_t first_half = word(codes + 32 * s + 4 * v), second_half = word(codes + 32 * s + 16 + 4 * v);
          put(panel.low[s][v][j], (first_half & kLowNibbles) | ((second_half & kLowNibbles) << 4));
          high[0] |= ((first_half >> 4) & 0x03030303u) << (2 * v);
          high[1] |= ((second_half >> 4) & 0x03030303u) << (2 * v);
        }
        put(panel.high[s][0][j], high[0]);
        put(panel.high[s][1][j], high[1]);
      }
    }
  }
}

void repack_to_panels(DType type, const uint8_t* rows, int n, int k, int begin, int end, uint8_t* out) {
  const size_t row_bytes = tensor_bytes(type, static_cast<size_t>(k)), bytes = panel_bytes(type, k);
  for (int p = begin; p < end; ++p) {
    const int first = p * kQuantPanelRows;
    uint8_t* panel = out + bytes * p;
    switch (type) {
      case DType::Q8_0: panel_q8_0(rows, row_bytes, first, n, k, reinterpret_cast<PanelBlockQ8_0*>(panel)); break;
      case DType::Q4_0: panel_q4_0(rows, row_bytes, first, n, k, reinterpret_cast<PanelBlockQ4_0*>(panel)); break;
      case DType::Q4_K:
        panel_k_quant<BlockQ4_K>(rows, row_bytes, first, n, k, reinterpret_cast<PanelBlockQ4_K*>(panel));
        break;
      case DType::Q5_K:
        panel_k_quant<BlockQ5_K>(rows, row_bytes, first, n, k, reinterpret_cast<PanelBlockQ5_K*>(panel));
        break;
      default: panel_q6_k(rows, row_bytes, first, n, k, reinterpret_cast<PanelBlockQ6_K*>(panel)); break;
    }
  }
}

}  // namespace anneal
