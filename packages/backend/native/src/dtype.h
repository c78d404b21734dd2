// Checkpoint element types: plain floats (F32, F16, BF16) and GGUF's block-quantized types, their
// sizes, and their conversion to float32.
#pragma once

#include <cstdint>
#include <cstring>
#include <stdexcept>
#include <string>

namespace anneal {

// The quantized types are GGUF's, with its exact block layouts (quant_format.h): a file's bytes are
// used as they are.
enum class DType { F32, F16, BF16, Q8_0, Q4_0, Q4_K, Q5_K, Q6_K };

inline DType parse_dtype(const std::string& name) {
  if (name == "F32") return DType::F32;
  if (name == "F16") return DType::F16;
  if (name == "BF16") return DType::BF16;
  if (name == "Q8_0") return DType::Q8_0;
  if (name == "Q4_0") return DType::Q4_0;
  if (name == "Q4_K") return DType::Q4_K;
  if (name == "Q5_K") return DType::Q5_K;
  if (name == "Q6_K") return DType::Q6_K;
  throw std::invalid_argument("unsupported dtype " + name + " (F32, F16, BF16, Q8_0, Q4_0, Q4_K, Q5_K and Q6_K load)");
}

inline const char* dtype_name(DType type) {
  switch (type) {
    case DType::F32: return "F32";
    case DType::F16: return "F16";
    case DType::BF16: return "BF16";
    case DType::Q8_0: return "Q8_0";
    case DType::Q4_0: return "Q4_0";
    case DType::Q4_K: return "Q4_K";
    case DType::Q5_K: return "Q5_K";
    case DType::Q6_K: return "Q6_K";
  }
  return "?";
}

inline bool is_quantized(DType type) { return type != DType::F32 && type != DType::F16 && type != DType::BF16; }

// Elements per block (1 for plain floats) and bytes per block, as GGUF lays them out.
inline int block_elements(DType type) {
  switch (type) {
    case DType::Q8_0:
    case DType::Q4_0: return 32;
    case DType::Q4_K:
    case DType::Q5_K:
    case DType::Q6_K: return 256;
    default: return 1;
  }
}
inline size_t block_bytes(DType type) {
  switch (type) {
    case DType::F32: return 4;
    case DType::F16:
    case DType::BF16: return 2;
    case DType::Q8_0: return 34;
    case DType::Q4_0: return 18;
    case DType::Q4_K: return 144;
    case DType::Q5_K: return 176;
    case DType::Q6_K: return 210;
  }
  return 0;
}

// Bytes of `count` elements (a whole number of blocks for the quantized types), 0 when it is not.
inline size_t tensor_bytes(DType type, size_t count) {
  const size_t per_block = static_cast<size_t>(block_elements(type));
  return count % per_block == 0 ? count / per_block * block_bytes(type) : 0;
}

inline size_t dtype_size(DType type) { return type == DType::F32 ? 4 : 2; }

// float32 -> IEEE half, rounding to nearest even (the quantizers store their scales this way).
inline uint16_t f32_to_f16(float value) {
  uint32_t bits;
  std::memcpy(&bits, &value, 4);
  const uint32_t sign = (bits >> 16) & 0x8000;
  const uint32_t magnitude = bits & 0x7FFFFFFF;
  if (magnitude >= 0x7F800000) return static_cast<uint16_t>(sign | 0x7C00 | (magnitude > 0x7F800000 ? 0x200 : 0));
  if (magnitude >= 0x477FF000) return static_cast<uint16_t>(sign | 0x7C00);  // rounds past the largest half
  if (magnitude < 0x38800000) {  // a subnormal half (or zero): scale into the 10-bit mantissa, round to even
    float scaled;
    const uint32_t positive = magnitude;
    std::memcpy(&scaled, &positive, 4);
    const float units = scaled * 16777216.0f;  // 2^24: one unit of the smallest subnormal
    uint32_t rounded = static_cast<uint32_t>(units);
    const float rest = units - static_cast<float>(rounded);
    if (rest > 0.5f || (rest == 0.5f && (rounded & 1))) ++rounded;
    return static_cast<uint16_t>(sign | rounded);
  }
  const uint32_t exponent_mantissa = magnitude - ((127 - 15) << 23);
  uint32_t half = exponent_mantissa >> 13;
  const uint32_t rest = exponent_mantissa & 0x1FFF;
  if (rest > 0x1000 || (rest == 0x1000 && (half & 1))) ++half;
  return static_cast<uint16_t>(sign | half);
}

inline float bf16_to_f32(uint16_t bits) {
  const uint32_t wide = static_cast<uint32_t>(bits) << 16;
  float value;
  std::memcpy(&value, &wide, 4);
  return value;
}

// IEEE half -> float, including subnormals, infinities and NaN.
inline float f16_to_f32(uint16_t bits) {
  const uint32_t sign = static_cast<uint32_t>(bits & 0x8000) << 16;
  uint32_t exponent = (bits >> 10) & 0x1F;
  uint32_t mantissa = bits & 0x3FF;
  uint32_t wide;
  if (exponent == 0) {
    if (mantissa == 0) {
      wide = sign;
    } else {  // subnormal: renormalise
      exponent = 127 - 15 + 1;
      while ((mantissa & 0x400) == 0) {
        mantissa <<= 1;
        --exponent;
      }
      wide = sign | (exponent << 23) | ((mantissa & 0x3FF) << 13);
    }
  } else if (exponent == 0x1F) {
    wide = sign | 0x7F800000 | (mantissa << 13);
  } else {
    wide = sign | ((exponent + 127 - 15) << 23) | (mantissa << 13);
  }
  float value;
  std::memcpy(&value, &wide, 4);
  return value;
}

// Quantized blocks -> float32 (quant_format.cpp); `count` is a whole number of blocks.
void dequantize(const uint8_t* src, DType type, size_t count, float* dst);

// Converts `count` elements starting at `src` (which may be unaligned) into `dst`.
inline void convert_to_f32(const uint8_t* src, DType type, size_t count, float* dst) {
  switch (type) {
    case DType::Q8_0:
    case DType::Q4_0:
    case DType::Q4_K:
    case DType::Q5_K:
    case DType::Q6_K:
      dequantize(src, type, count, dst);
      return;
    case DType::F32:
      std::memcpy(dst, src, count * 4);
      return;
    case DType::F16:
      for (size_t i = 0; i < count; ++i) {
        uint16_t bits;
        std::memcpy(&bits, src + 2 * i, 2);
        dst[i] = f16_to_f32(bits);
      }
      return;
    case DType::BF16:
      for (size_t i = 0; i < count; ++i) {
        uint16_t bits;
        std::memcpy(&bits, src + 2 * i, 2);
        dst[i] = bf16_to_f32(bits);
      }
      return;
  }
}

}  // namespace anneal
