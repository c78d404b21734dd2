// The innermost loops, in builds chosen at run time: portable C++, AVX2/FMA and AVX-512F.
// Everything above this file (ops.cpp, model.cpp) is written once against this table.
#pragma once

#include <cstdint>

namespace anneal {

// GEMM panels hold 16 output features, stored k-major: panel[k * 16 + j] = W[n0 + j][k].
constexpr int kPanelWidth = 16;
// No micro-kernel computes more rows of output at once than this (each says how many it does).
constexpr int kMaxTileRows = 12;

struct Kernels {
  const char* name;
  // Rows of output one gemm_tile call computes at most (≤ kMaxTileRows): as many as the ISA has
  // registers for independent accumulators.
  int tile_rows;
  // y[r][j] (+)= bias[j] + sum_k x[r][k] * panel[k][j] for r < rows (≤ tile_rows), j < cols (≤ 16).
  void (*gemm_tile)(const float* x, int ldx, int rows, const float* panel, int k, const float* bias, float* y,
                    int ldy, int cols, bool accumulate);
  // The same over 16-bit weight panels (BF16 or IEEE F16, as the checkpoint stores them), widened to
  // float32 in registers: exactly the float32 product of the widened weights, at half the bytes.
  void (*gemm_tile_bf16)(const float* x, int ldx, int rows, const uint16_t* panel, int k, const float* bias, float* y,
                         int ldy, int cols, bool accumulate);
  void (*gemm_tile_f16)(const float* x, int ldx, int rows, const uint16_t* panel, int k, const float* bias, float* y,
                        int ldy, int cols, bool accumulate);
  // sum_i a[i] * b[i]
  float (*dot)(const float* a, const float* b, int n);
  // y[i] += alpha * x[i]
  void (*axpy)(float alpha, const float* x, float* y, int n);
  // A register-only FMA loop (for measuring peak FLOP/s): `iterations` rounds of fma_loop_flops flops.
  float (*fma_loop)(int64_t iterations);
  int fma_loop_flops;  // 10 independent accumulators × lanes × 2 flops per FMA
};

extern const Kernels kPortableKernels;
extern const Kernels kAvx2Kernels;    // only call where cpu_has_avx2_fma() is true
extern const Kernels kAvx512Kernels;  // only call where cpu_has_avx512() is true

bool cpu_has_avx2_fma();
bool cpu_has_avx512();
// The table named by ANNEAL_CPU (portable, avx2, avx512) if this CPU runs it, else the fastest it runs.
const Kernels& best_kernels();
// The table called `name` ("portable", "avx2", "avx512"); throws std::invalid_argument when this CPU lacks it.
const Kernels& kernels_by_name(const char* name);

}  // namespace anneal
