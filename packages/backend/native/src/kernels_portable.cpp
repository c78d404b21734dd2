// Portable kernels: plain loops the compiler may vectorise for the baseline ISA. The reference the
// AVX2 and AVX-512 kernels are tested against, and what runs on CPUs without them. Also the choice of
// table for this CPU.
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <stdexcept>
#include <string>

#include "dtype.h"
#include "kernels.h"

namespace anneal {

// One tile over panels of any element type; `widen` turns an element into its float32 value.
template <class Element, float (*widen)(Element)>
static void tile_portable(const float* x, int ldx, int rows, const Element* panel, int k, const float* bias, float* y,
                          int ldy, int cols, bool accumulate) {
  // acc[r][j]: one output tile, rows × 16 columns.
  float acc[kMaxTileRows][kPanelWidth] = {};
  for (int kk = 0; kk < k; ++kk) {
    const Element* w = panel + kk * kPanelWidth;
    for (int r = 0; r < rows; ++r) {
      float xv = x[r * ldx + kk];
      for (int j = 0; j < kPanelWidth; ++j) acc[r][j] += xv * widen(w[j]);
    }
  }
  for (int r = 0; r < rows; ++r) {
    float* out = y + r * ldy;
    for (int j = 0; j < cols; ++j) {
      float v = acc[r][j] + (bias ? bias[j] : 0.0f);
      out[j] = accumulate ? out[j] + v : v;
    }
  }
}

static float same(float v) { return v; }

static void gemm_tile_portable(const float* x, int ldx, int rows, const float* panel, int k, const float* bias,
                               float* y, int ldy, int cols, bool accumulate) {
  tile_portable<float, same>(x, ldx, rows, panel, k, bias, y, ldy, cols, accumulate);
}

static void gemm_tile_bf16_portable(const float* x, int ldx, int rows, const uint16_t* panel, int k, const float* bias,
                                    float* y, int ldy, int cols, bool accumulate) {
  tile_portable<uint16_t, bf16_to_f32>(x, ldx, rows, panel, k, bias, y, ldy, cols, accumulate);
}

static void gemm_tile_f16_portable(const float* x, int ldx, int rows, const uint16_t* panel, int k, const float* bias,
                                   float* y, int ldy, int cols, bool accumulate) {
  tile_portable<uint16_t, f16_to_f32>(x, ldx, rows, panel, k, bias, y, ldy, cols, accumulate);
}

static float dot_portable(const float* a, const float* b, int n) {
  float sum = 0.0f;
  for (int i = 0; i < n; ++i) sum += a[i] * b[i];
  return sum;
}

static void axpy_portable(float alpha, const float* x, float* y, int n) {
  for (int i = 0; i < n; ++i) y[i] += alpha * x[i];
}

static float fma_loop_portable(int64_t iterations) {
  float acc[10 * 8] = {};
  for (int64_t i = 0; i < iterations; ++i) {
    for (int j = 0; j < 10 * 8; ++j) acc[j] = acc[j] * 0.999999f + 1e-7f;
  }
  float sum = 0;
  for (float v : acc) sum += v;
  return sum;
}

void silu_mul_portable(const float* gate, const float* up, float* out, size_t n) {
  for (size_t i = 0; i < n; ++i) out[i] = gate[i] / (1.0f + std::exp(-gate[i])) * up[i];
}

float exp_shifted_portable(float* row, int n, float shift, float scale) {
  float total = 0;
  for (int j = 0; j < n; ++j) total += (row[j] = std::exp((row[j] - shift) * scale));
  return total;
}

const Kernels kPortableKernels = {"portable",         6,
                                  gemm_tile_portable, gemm_tile_bf16_portable,
                                  gemm_tile_f16_portable, dot_portable,
                                  axpy_portable,      fma_loop_portable,
                                  10 * 8 * 2,         kPortableQuantDots};

bool cpu_has_avx2_fma() {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_cpu_init();
  // F16C too: the AVX2 file widens half-precision weights with it (every AVX2 CPU has it).
  return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma") && __builtin_cpu_supports("f16c");
#else
  return false;
#endif
}

bool cpu_has_avx512() {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_cpu_init();
  return __builtin_cpu_supports("avx512f");
#else
  return false;
#endif
}

bool cpu_has_avx512_bf16() {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_cpu_init();
  return __builtin_cpu_supports("avx512bf16") && __builtin_cpu_supports("avx512bw") && cpu_has_avx512();
#else
  return false;
#endif
}

bool cpu_has_avx512_vnni() {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_cpu_init();
  return __builtin_cpu_supports("avx512vnni") && __builtin_cpu_supports("avx512vl") && cpu_has_avx2_fma();
#else
  return false;
#endif
}

const Kernels& kernels_by_name(const char* name) {
  const std::string wanted = name;
  if (wanted == "portable") return kPortableKernels;
  if (wanted == "avx2") {
    if (!cpu_has_avx2_fma()) throw std::invalid_argument("this CPU has no AVX2/FMA");
    return kAvx2Kernels;
  }
  if (wanted == "avx512") {
    if (!cpu_has_avx512()) throw std::invalid_argument("this CPU has no AVX-512F");
    return avx512_kernels();
  }
  throw std::invalid_argument("unknown kernels \"" + wanted + "\" (portable, avx2, avx512)");
}

const Kernels& best_kernels() {
  // ANNEAL_CPU forces a table (e.g. to compare paths); one this CPU cannot run falls back to the best.
  if (const char* forced = std::getenv("ANNEAL_CPU")) {
    try {
      return kernels_by_name(forced);
    } catch (const std::invalid_argument&) {
    }
  }
  if (cpu_has_avx512()) return avx512_kernels();
  if (cpu_has_avx2_fma()) return kAvx2Kernels;
  return kPortableKernels;
}

}  // namespace anneal
