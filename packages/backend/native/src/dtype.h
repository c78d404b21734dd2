// Checkpoint element types and their conversion to float32.
#pragma once

#include <cstdint>
#include <cstring>
#include <stdexcept>
#include <string>

namespace anneal {

enum class DType { F32, F16, BF16 };

inline DType parse_dtype(const std::string& name) {
  if (name == "F32") return DType::F32;
  if (name == "F16") return DType::F16;
  if (name == "BF16") return DType::BF16;
  throw std::invalid_argument("unsupported dtype " + name + " (F32, F16 and BF16 load)");
}

inline size_t dtype_size(DType type) { return type == DType::F32 ? 4 : 2; }

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

// Converts `count` elements starting at `src` (which may be unaligned) into `dst`.
inline void convert_to_f32(const uint8_t* src, DType type, size_t count, float* dst) {
  switch (type) {
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
