// GGUF's block-quantized weight layouts (Q8_0, Q4_0, Q4_K, Q5_K, Q6_K), byte for byte as llama.cpp
// writes them, and the int8 activation blocks the quantized products multiply them with.
//
// A quantized matrix W[n][k] is n rows, each k / block_elements blocks; rows are independent, so a
// file's bytes are used in place and a row permutation is a permutation of whole rows.
#pragma once

#include <cstddef>
#include <cstdint>

#include "dtype.h"

namespace anneal {

constexpr int kQK = 32;    // elements in a Q8_0 / Q4_0 block
constexpr int kQKK = 256;  // elements in a K-quant super-block

#pragma pack(push, 1)
// x = d · q
struct BlockQ8_0 {
  uint16_t d;  // F16
  int8_t qs[kQK];
};
// x = d · (q − 8); element j is the low nibble of qs[j], element j + 16 the high nibble.
struct BlockQ4_0 {
  uint16_t d;  // F16
  uint8_t qs[kQK / 2];
};
// Eight sub-blocks of 32: x = d · sc_j · q − dmin · m_j, with 6-bit sc_j, m_j packed in `scales`.
// Bytes qs[32c .. 32c+31] hold sub-block 2c in their low nibbles and 2c + 1 in their high ones.
struct BlockQ4_K {
  uint16_t d;     // F16, scale of the sub-block scales
  uint16_t dmin;  // F16, scale of the sub-block minimums
  uint8_t scales[12];
  uint8_t qs[kQKK / 2];
};
// Q4_K with a fifth bit: x = d · sc_j · q − dmin · m_j, q in 0..31. The low four bits are packed as
// Q4_K's qs; bit j of qh[l] is the top bit of sub-block j's element l.
struct BlockQ5_K {
  uint16_t d;     // F16, scale of the sub-block scales
  uint16_t dmin;  // F16, scale of the sub-block minimums
  uint8_t scales[12];
  uint8_t qh[kQKK / 8];
  uint8_t qs[kQKK / 2];
};
// Sixteen sub-blocks of 16: x = d · sc_j · (q − 32), q six bits (low four in ql, high two in qh).
struct BlockQ6_K {
  uint8_t ql[kQKK / 2];
  uint8_t qh[kQKK / 4];
  int8_t scales[kQKK / 16];
  uint16_t d;  // F16
};
#pragma pack(pop)
static_assert(sizeof(BlockQ8_0) == 34 && sizeof(BlockQ4_0) == 18, "GGUF block sizes");
static_assert(sizeof(BlockQ4_K) == 144 && sizeof(BlockQ5_K) == 176 && sizeof(BlockQ6_K) == 210, "GGUF block sizes");

// Sub-block j's 6-bit scale and minimum from a Q4_K (or Q5_K) block's packed `scales`.
inline void q4k_scale_min(const uint8_t* scales, int j, uint8_t& scale, uint8_t& min) {
  if (j < 4) {
    scale = scales[j] & 63;
    min = scales[j + 4] & 63;
  } else {
    scale = (scales[j + 4] & 0xF) | ((scales[j - 4] >> 6) << 4);
    min = (scales[j + 4] >> 4) | ((scales[j] >> 6) << 4);
  }
}

// Element l of sub-block j (0..7) of a Q4_K block: its code, 0..15; of a Q5_K block, 0..31.
inline int k_quant_code(const BlockQ4_K& block, int j, int l) { return (block.qs[32 * (j / 2) + l] >> (4 * (j % 2))) & 0xF; }
inline int k_quant_code(const BlockQ5_K& block, int j, int l) {
  const int low = (block.qs[32 * (j / 2) + l] >> (4 * (j % 2))) & 0xF;
  return low | (((block.qh[l] >> j) & 1) << 4);
}

// Activations, quantized on the fly for each product (never stored in files).
// For Q8_0 and Q4_0 weights: blocks of 32, x ≈ d · q, with sum = Σq (Q4_0's −8 offset needs it).
struct ActBlock32 {
  float d;
  int32_t sum;
  int8_t qs[kQK];
};
// For the K-quants: super-blocks of 256 with the sum of every 16 (the offsets and minimums need them).
struct ActBlock256 {
  float d;
  int16_t sums[kQKK / 16];
  int8_t qs[kQKK];
};

// The activation block size a weight type multiplies with (32 or 256) and the bytes of one row of k.
int activation_block_elements(DType weight);
size_t activation_row_bytes(DType weight, int k);
// One row of k activations -> the blocks `weight`'s products read (k a multiple of its block size).
void quantize_activations(DType weight, const float* x, int k, uint8_t* out);

// One row of k weights -> `type`'s blocks, at the bytes tensor_bytes(type, k) gives. The quantizers
// choose scales to minimise the squared error (searching a few candidates), not just from the maximum.
void quantize_row(DType type, const float* x, int k, uint8_t* out);
// One row back to float32.
void dequantize_row(DType type, const uint8_t* blocks, int k, float* out);

}  // namespace anneal
