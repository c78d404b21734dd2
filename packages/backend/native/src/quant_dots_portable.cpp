// The quantized products in plain C++, straight from the block layouts: the reference the AVX2 and
// VNNI kernels are tested against, and what runs on CPUs without them. Integer sums per block (or
// sub-block), scaled in float, as the vector kernels do.
#include "kernels.h"
#include "quant_format.h"

namespace anneal {

static float half(uint16_t bits) { return f16_to_f32(bits); }

template <class Row>
static void each_row(const uint8_t* acts, size_t stride, int rows, float* out, const Row& row) {
  for (int r = 0; r < rows; ++r) out[r] = row(acts + r * stride);
}

static void q8_0(const uint8_t* w, const uint8_t* acts, size_t stride, int rows, int k, float* out) {
  const auto* blocks = reinterpret_cast<const BlockQ8_0*>(w);
  each_row(acts, stride, rows, out, [&](const uint8_t* row) {
    const auto* a = reinterpret_cast<const ActBlock32*>(row);
    float total = 0;
    for (int b = 0; b < k / kQK; ++b) {
      int sum = 0;
      for (int i = 0; i < kQK; ++i) sum += blocks[b].qs[i] * a[b].qs[i];
      total += half(blocks[b].d) * a[b].d * sum;
    }
    return total;
  });
}

static void q4_0(const uint8_t* w, const uint8_t* acts, size_t stride, int rows, int k, float* out) {
  const auto* blocks = reinterpret_cast<const BlockQ4_0*>(w);
  each_row(acts, stride, rows, out, [&](const uint8_t* row) {
    const auto* a = reinterpret_cast<const ActBlock32*>(row);
    float total = 0;
    for (int b = 0; b < k / kQK; ++b) {
      int sum = 0;
      for (int i = 0; i < kQK / 2; ++i) {
        sum += ((blocks[b].qs[i] & 0xF) - 8) * a[b].qs[i] + ((blocks[b].qs[i] >> 4) - 8) * a[b].qs[i + 16];
      }
      total += half(blocks[b].d) * a[b].d * sum;
    }
    return total;
  });
}

// Q4_K and Q5_K: integer sums per sub-block of 32 scaled by its 6-bit scale, minus the minimums.
template <class Block>
static void k_quant(const uint8_t* w, const uint8_t* acts, size_t stride, int rows, int k, float* out) {
  const auto* blocks = reinterpret_cast<const Block*>(w);
  each_row(acts, stride, rows, out, [&](const uint8_t* row) {
    const auto* a = reinterpret_cast<const ActBlock256*>(row);
    float total = 0;
    for (int b = 0; b < k / kQKK; ++b) {
      const Block& block = blocks[b];
      int scaled = 0, minimums = 0;  // Σ sc_j · Σ q·x over sub-block j, and Σ m_j · Σ x
      for (int j = 0; j < 8; ++j) {
        uint8_t sc, m;
        q4k_scale_min(block.scales, j, sc, m);
        int sum = 0;
        for (int l = 0; l < 32; ++l) sum += k_quant_code(block, j, l) * a[b].qs[32 * j + l];
        scaled += sc * sum;
        minimums += m * (a[b].sums[2 * j] + a[b].sums[2 * j + 1]);
      }
      total += half(block.d) * a[b].d * scaled - half(block.dmin) * a[b].d * minimums;
    }
    return total;
  });
}

static void q6_k(const uint8_t* w, const uint8_t* acts, size_t stride, int rows, int k, float* out) {
  const auto* blocks = reinterpret_cast<const BlockQ6_K*>(w);
  each_row(acts, stride, rows, out, [&](const uint8_t* row) {
    const auto* a = reinterpret_cast<const ActBlock256*>(row);
    float total = 0;
    for (int b = 0; b < k / kQKK; ++b) {
      const BlockQ6_K& block = blocks[b];
      int scaled = 0;
      for (int h = 0; h < 2; ++h) {
        const uint8_t* ql = block.ql + 64 * h;
        const uint8_t* qh = block.qh + 32 * h;
        const int8_t* x = a[b].qs + 128 * h;
        const int8_t* sc = block.scales + 8 * h;
        for (int l = 0; l < 32; ++l) {
          const int is = l / 16;
          scaled += sc[is] * ((((ql[l] & 0xF) | (((qh[l] >> 0) & 3) << 4)) - 32) * x[l]);
          scaled += sc[is + 2] * ((((ql[l + 32] & 0xF) | (((qh[l] >> 2) & 3) << 4)) - 32) * x[l + 32]);
          scaled += sc[is + 4] * ((((ql[l] >> 4) | (((qh[l] >> 4) & 3) << 4)) - 32) * x[l + 64]);
          scaled += sc[is + 6] * ((((ql[l + 32] >> 4) | (((qh[l] >> 6) & 3) << 4)) - 32) * x[l + 96]);
        }
      }
      total += half(block.d) * a[b].d * scaled;
    }
    return total;
  });
}

const QuantDots kPortableQuantDots = {"portable", q8_0, q4_0, k_quant<BlockQ4_K>, k_quant<BlockQ5_K>, q6_k, quantize_activations};

}  // namespace anneal
