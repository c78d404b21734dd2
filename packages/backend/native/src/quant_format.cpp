// Quantizing and dequantizing GGUF blocks, and quantizing activation rows for the int8 products.
// Plain C++: runs once per weight at load (quantize) or once per product row (activations).
#include "quant_format.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <string>

namespace anneal {

static int nearest(float v) { return static_cast<int>(std::nearbyint(v)); }

static float half(uint16_t bits) { return f16_to_f32(bits); }

// Σ (x − s·q)² with q = clamp(round(x / s), lo, hi): the error of quantizing with scale s.
static double symmetric_error(const float* x, int n, int lo, int hi, float s) {
  const float inverse = 1 / s;
  double error = 0;
  for (int i = 0; i < n; ++i) {
    const double d = x[i] - s * std::clamp(nearest(x[i] * inverse), lo, hi);
    error += d * d;
  }
  return error;
}

// The scale s with the least symmetric_error, among candidates that map the largest |x| onto either
// end of [lo, hi] or near it (−8 is llama.cpp's own choice for Q4_0), each also refitted by least
// squares over its rounding; every candidate is judged by the rounding it will actually get.
static float symmetric_scale(const float* x, int n, int lo, int hi) {
  float amax = 0, signed_max = 0;
  for (int i = 0; i < n; ++i) {
    if (std::fabs(x[i]) > amax) amax = std::fabs(x[i]), signed_max = x[i];
  }
  if (amax == 0) return 0;
  float best_scale = 0;
  double best_error = INFINITY;
  auto consider = [&](float scale) {
    if (!(scale != 0) || !std::isfinite(scale)) return;
    const double error = symmetric_error(x, n, lo, hi, scale);
    if (error < best_error) best_error = error, best_scale = scale;
  };
  for (const float end : {static_cast<float>(lo), static_cast<float>(hi)}) {
    for (int step = -4; step <= 4; ++step) {
      const float scale = signed_max / (end + 0.25f * step * (end < 0 ? -1.0f : 1.0f));
      if (!(scale != 0) || !std::isfinite(scale)) continue;
      consider(scale);
      double xq = 0, qq = 0;
      const float inverse = 1 / scale;
      for (int i = 0; i < n; ++i) {
        const int q = std::clamp(nearest(x[i] * inverse), lo, hi);
        xq += x[i] * q, qq += static_cast<double>(q) * q;
      }
      if (qq > 0) consider(static_cast<float>(xq / qq));
    }
  }
  return best_scale;
}

// x ≈ scale · q − min_value over q in [0, top], minimising the squared error (min_value ≥ 0).
static void asymmetric_scale(const float* x, int n, int top, float& scale, float& min_value) {
  float lo = x[0], hi = x[0];
  for (int i = 1; i < n; ++i) lo = std::min(lo, x[i]), hi = std::max(hi, x[i]);
  lo = std::min(lo, 0.0f);
  if (hi <= lo) {
    scale = 0, min_value = -lo;
    return;
  }
  float best_error = INFINITY;
  scale = (hi - lo) / top, min_value = -lo;
  for (int step = -4; step <= 4; ++step) {
    const float inverse = (top + 0.25f * step) / (hi - lo);
    // Least-squares fit of x = a·q + b over this rounding, then b clamped to ≤ 0.
    double sq = 0, sqq = 0, sx = 0, sxq = 0;
    for (int i = 0; i < n; ++i) {
      const int q = std::clamp(nearest((x[i] - lo) * inverse), 0, top);
      sq += q, sqq += static_cast<double>(q) * q, sx += x[i], sxq += x[i] * q;
    }
    const double det = n * sqq - sq * sq;
    if (det <= 0) continue;
    double a = (n * sxq - sq * sx) / det, b = (sqq * sx - sq * sxq) / det;
    if (b > 0) b = 0, a = sxq / sqq;
    if (a <= 0) continue;
    double error = 0;
    for (int i = 0; i < n; ++i) {
      const int q = std::clamp(nearest(static_cast<float>((x[i] - b) / a)), 0, top);
      const double d = x[i] - (a * q + b);
      error += d * d;
    }
    if (error < best_error) best_error = static_cast<float>(error), scale = static_cast<float>(a), min_value = static_cast<float>(-b);
  }
}

static void quantize_q8_0(const float* x, int k, BlockQ8_0* out) {
  for (int b = 0; b < k / kQK; ++b, x += kQK) {
    float amax = 0;
    for (int i = 0; i < kQK; ++i) amax = std::max(amax, std::fabs(x[i]));
    out[b].d = f32_to_f16(amax / 127);
    const float d = half(out[b].d), inverse = d ? 1 / d : 0;
    for (int i = 0; i < kQK; ++i) out[b].qs[i] = static_cast<int8_t>(std::clamp(nearest(x[i] * inverse), -127, 127));
  }
}

static void quantize_q4_0(const float* x, int k, BlockQ4_0* out) {
  for (int b = 0; b < k / kQK; ++b, x += kQK) {
    out[b].d = f32_to_f16(symmetric_scale(x, kQK, -8, 7));
    const float d = half(out[b].d), inverse = d ? 1 / d : 0;
    for (int i = 0; i < kQK / 2; ++i) {
      const int lo = std::clamp(nearest(x[i] * inverse), -8, 7) + 8;
      const int hi = std::clamp(nearest(x[i + 16] * inverse), -8, 7) + 8;
      out[b].qs[i] = static_cast<uint8_t>(lo | (hi << 4));
    }
  }
}

// Q4_K's and Q5_K's shared part: sub-block scales and minimums (6 bits each, packed in `scales`,
// under the F16 d and dmin), and each element's code in [0, top].
static void quantize_k_codes(const float* x, int top, uint16_t& d_bits, uint16_t& dmin_bits, uint8_t* packed,
                             uint8_t* codes) {
  float scales[8], mins[8], max_scale = 0, max_min = 0;
  for (int j = 0; j < 8; ++j) {
    asymmetric_scale(x + 32 * j, 32, top, scales[j], mins[j]);
    max_scale = std::max(max_scale, scales[j]), max_min = std::max(max_min, mins[j]);
  }
  d_bits = f32_to_f16(max_scale / 63), dmin_bits = f32_to_f16(max_min / 63);
  const float d = half(d_bits), dmin = half(dmin_bits);
  uint8_t sc[8], m[8];
  for (int j = 0; j < 8; ++j) {
    sc[j] = static_cast<uint8_t>(d ? std::clamp(nearest(scales[j] / d), 0, 63) : 0);
    m[j] = static_cast<uint8_t>(dmin ? std::clamp(nearest(mins[j] / dmin), 0, 63) : 0);
  }
  std::fill(packed, packed + 12, 0);
  for (int j = 0; j < 8; ++j) {
    if (j < 4) {
      packed[j] |= sc[j], packed[j + 4] |= m[j];
    } else {
      packed[j + 4] = static_cast<uint8_t>((sc[j] & 0xF) | ((m[j] & 0xF) << 4));
      packed[j - 4] |= static_cast<uint8_t>((sc[j] >> 4) << 6);
      packed[j] |= static_cast<uint8_t>((m[j] >> 4) << 6);
    }
  }
  for (int j = 0; j < 8; ++j) {
    const float step = d * sc[j], offset = dmin * m[j];
    for (int i = 0; i < 32; ++i) {
      codes[32 * j + i] = static_cast<uint8_t>(step ? std::clamp(nearest((x[32 * j + i] + offset) / step), 0, top) : 0);
    }
  }
}

static void quantize_q4_k(const float* x, int k, BlockQ4_K* out) {
  for (int b = 0; b < k / kQKK; ++b, x += kQKK) {
    BlockQ4_K& block = out[b];
    uint8_t codes[kQKK];
    quantize_k_codes(x, 15, block.d, block.dmin, block.scales, codes);
    for (int c = 0; c < 4; ++c) {
      for (int l = 0; l < 32; ++l) block.qs[32 * c + l] = static_cast<uint8_t>(codes[64 * c + l] | (codes[64 * c + 32 + l] << 4));
    }
  }
}

static void quantize_q5_k(const float* x, int k, BlockQ5_K* out) {
  for (int b = 0; b < k / kQKK; ++b, x += kQKK) {
    BlockQ5_K& block = out[b];
    uint8_t codes[kQKK];
    quantize_k_codes(x, 31, block.d, block.dmin, block.scales, codes);
    std::fill(block.qh, block.qh + kQKK / 8, 0);
    for (int c = 0; c < 4; ++c) {
      for (int l = 0; l < 32; ++l) {
        const uint8_t even = codes[64 * c + l], odd = codes[64 * c + 32 + l];
        block.qs[32 * c + l] = static_cast<uint8_t>((even & 0xF) | ((odd & 0xF) << 4));
        block.qh[l] |= static_cast<uint8_t>(((even >> 4) << (2 * c)) | ((odd >> 4) << (2 * c + 1)));
      }
    }
  }
}

static void quantize_q6_k(const float* x, int k, BlockQ6_K* out) {
  for (int b = 0; b < k / kQKK; ++b, x += kQKK) {
    float scales[16], max_scale = 0;
    for (int j = 0; j < 16; ++j) {
      scales[j] = symmetric_scale(x + 16 * j, 16, -32, 31);
      if (std::fabs(scales[j]) > std::fabs(max_scale)) max_scale = scales[j];
    }
    BlockQ6_K& block = out[b];
    block.d = f32_to_f16(std::fabs(max_scale) / 127);
    const float d = half(block.d);
    int8_t sc[16];
    for (int j = 0; j < 16; ++j) sc[j] = static_cast<int8_t>(d ? std::clamp(nearest(scales[j] / d), -127, 127) : 0);
    std::copy(sc, sc + 16, block.scales);
    uint8_t codes[kQKK];
    for (int j = 0; j < 16; ++j) {
      const float step = d * sc[j];
      for (int i = 0; i < 16; ++i) {
        codes[16 * j + i] = static_cast<uint8_t>((step ? std::clamp(nearest(x[16 * j + i] / step), -32, 31) : 0) + 32);
      }
    }
    for (int h = 0; h < 2; ++h) {
      const uint8_t* c = codes + 128 * h;
      uint8_t* ql = block.ql + 64 * h;
      uint8_t* qh = block.qh + 32 * h;
      for (int l = 0; l < 32; ++l) {
        ql[l] = static_cast<uint8_t>((c[l] & 0xF) | ((c[l + 64] & 0xF) << 4));
        ql[l + 32] = static_cast<uint8_t>((c[l + 32] & 0xF) | ((c[l + 96] & 0xF) << 4));
        qh[l] = static_cast<uint8_t>((c[l] >> 4) | ((c[l + 32] >> 4) << 2) | ((c[l + 64] >> 4) << 4) | ((c[l + 96] >> 4) << 6));
      }
    }
  }
}

static void check_row(DType type, int k) {
  if (!is_quantized(type)) throw std::invalid_argument(std::string("not a quantized type: ") + dtype_name(type));
  if (k % block_elements(type) != 0) {
    throw std::invalid_argument(std::string(dtype_name(type)) + " rows need a multiple of " +
                                std::to_string(block_elements(type)) + " values (got " + std::to_string(k) + ")");
  }
}

void quantize_row(DType type, const float* x, int k, uint8_t* out) {
  check_row(type, k);
  switch (type) {
    case DType::Q8_0: return quantize_q8_0(x, k, reinterpret_cast<BlockQ8_0*>(out));
    case DType::Q4_0: return quantize_q4_0(x, k, reinterpret_cast<BlockQ4_0*>(out));
    case DType::Q4_K: return quantize_q4_k(x, k, reinterpret_cast<BlockQ4_K*>(out));
    case DType::Q5_K: return quantize_q5_k(x, k, reinterpret_cast<BlockQ5_K*>(out));
    case DType::Q6_K: return quantize_q6_k(x, k, reinterpret_cast<BlockQ6_K*>(out));
    default: return;
  }
}

// Q4_K and Q5_K: x = d · sc_j · q − dmin · m_j.
template <class Block>
static void dequantize_k_quant(const Block* blocks, int k, float* out) {
  for (int b = 0; b < k / kQKK; ++b, out += kQKK) {
    const Block& block = blocks[b];
    const float d = half(block.d), dmin = half(block.dmin);
    for (int j = 0; j < 8; ++j) {
      uint8_t sc, m;
      q4k_scale_min(block.scales, j, sc, m);
      for (int l = 0; l < 32; ++l) out[32 * j + l] = d * sc * k_quant_code(block, j, l) - dmin * m;
    }
  }
}

void dequantize_row(DType type, const uint8_t* blocks, int k, float* out) {
  check_row(type, k);
  switch (type) {
    case DType::Q8_0:
      for (int b = 0; b < k / kQK; ++b, out += kQK) {
        const auto& block = reinterpret_cast<const BlockQ8_0*>(blocks)[b];
        const float d = half(block.d);
        for (int i = 0; i < kQK; ++i) out[i] = d * block.qs[i];
      }
      return;
    case DType::Q4_0:
      for (int b = 0; b < k / kQK; ++b, out += kQK) {
        const auto& block = reinterpret_cast<const BlockQ4_0*>(blocks)[b];
        const float d = half(block.d);
        for (int i = 0; i < kQK / 2; ++i) {
          out[i] = d * ((block.qs[i] & 0xF) - 8);
          out[i + 16] = d * ((block.qs[i] >> 4) - 8);
        }
      }
      return;
    case DType::Q4_K: return dequantize_k_quant(reinterpret_cast<const BlockQ4_K*>(blocks), k, out);
    case DType::Q5_K: return dequantize_k_quant(reinterpret_cast<const BlockQ5_K*>(blocks), k, out);
    case DType::Q6_K:
      for (int b = 0; b < k / kQKK; ++b, out += kQKK) {
        const auto& block = reinterpret_cast<const BlockQ6_K*>(blocks)[b];
        const float d = half(block.d);
        for (int h = 0; h < 2; ++h) {
          const uint8_t* ql = block.ql + 64 * h;
          const uint8_t* qh = block.qh + 32 * h;
          const int8_t* sc = block.scales + 8 * h;
          float* y = out + 128 * h;
          for (int l = 0; l < 32; ++l) {
            const int is = l / 16;
            y[l] = d * sc[is] * (((ql[l] & 0xF) | (((qh[l] >> 0) & 3) << 4)) - 32);
            y[l + 32] = d * sc[is + 2] * (((ql[l + 32] & 0xF) | (((qh[l] >> 2) & 3) << 4)) - 32);
            y[l + 64] = d * sc[is + 4] * (((ql[l] >> 4) | (((qh[l] >> 4) & 3) << 4)) - 32);
            y[l + 96] = d * sc[is + 6] * (((ql[l + 32] >> 4) | (((qh[l] >> 6) & 3) << 4)) - 32);
          }
        }
      }
      return;
    default: return;
  }
}

void dequantize(const uint8_t* src, DType type, size_t count, float* dst) {
  // Rows are whole blocks, so the tensor is one long row.
  const size_t per_block = static_cast<size_t>(block_elements(type));
  const size_t chunk = per_block * 4096;  // keep each call's element count well inside int
  for (size_t done = 0; done < count; done += chunk) {
    const size_t n = std::min(chunk, count - done);
    dequantize_row(type, src + done / per_block * block_bytes(type), static_cast<int>(n), dst + done);
  }
}

int activation_block_elements(DType weight) { return block_elements(weight) == kQKK ? kQKK : kQK; }

size_t activation_row_bytes(DType weight, int k) {
  return activation_block_elements(weight) == kQKK ? static_cast<size_t>(k / kQKK) * sizeof(ActBlock256)
                                                   : static_cast<size_t>(k / kQK) * sizeof(ActBlock32);
}

// Symmetric int8 with 127 as the largest code, so that negating a code (the sign trick) never overflows.
void quantize_activations(DType weight, const float* x, int k, uint8_t* out) {
  const int per_block = activation_block_elements(weight);
  for (int b = 0; b < k / per_block; ++b, x += per_block) {
    float amax = 0;
    for (int i = 0; i < per_block; ++i) amax = std::max(amax, std::fabs(x[i]));
    const float d = amax / 127, inverse = amax ? 127 / amax : 0;
    if (per_block == kQK) {
      ActBlock32& block = reinterpret_cast<ActBlock32*>(out)[b];
      block.d = d, block.sum = 0;
      for (int i = 0; i < kQK; ++i) block.sum += block.qs[i] = static_cast<int8_t>(nearest(x[i] * inverse));
    } else {
      ActBlock256& block = reinterpret_cast<ActBlock256*>(out)[b];
      block.d = d;
      for (int g = 0; g < kQKK / 16; ++g) {
        int sum = 0;
        for (int i = 16 * g; i < 16 * g + 16; ++i) sum += block.qs[i] = static_cast<int8_t>(nearest(x[i] * inverse));
        block.sums[g] = static_cast<int16_t>(sum);
      }
    }
  }
}

}  // namespace anneal
