// The innermost loops, in two builds chosen at run time: portable C++ and AVX2/FMA.
// Everything above this file (ops.cpp, model.cpp) is written once against this table.
#pragma once

#include <cstdint>

namespace anneal {

// GEMM panels hold 16 output features, stored k-major: panel[k * 16 + j] = W[n0 + j][k].
constexpr int kPanelWidth = 16;
// The micro-kernel computes up to this many rows of output at once.
constexpr int kTileRows = 6;

struct Kernels {
  const char* name;
  // y[r][j] (+)= bias[j] + sum_k x[r][k] * panel[k][j] for r < rows (≤ kTileRows), j < cols (≤ 16).
  void (*gemm_tile)(const float* x, int ldx, int rows, const float* panel, int k, const float* bias, float* y,
                    int ldy, int cols, bool accumulate);
  // sum_i a[i] * b[i]
  float (*dot)(const float* a, const float* b, int n);
  // y[i] += alpha * x[i]
  void (*axpy)(float alpha, const float* x, float* y, int n);
  // A register-only FMA loop (for measuring peak FLOP/s): `iterations` rounds of kFmaLoopFlops flops.
  float (*fma_loop)(int64_t iterations);
};

constexpr int kFmaLoopFlops = 10 * 8 * 2;  // 10 independent 8-wide accumulators, 2 flops per FMA

extern const Kernels kPortableKernels;
extern const Kernels kAvx2Kernels;  // only call where cpu_has_avx2_fma() is true

bool cpu_has_avx2_fma();
// The fastest table this CPU runs (ANNEAL_KERNELS=portable forces the portable one).
const Kernels& best_kernels();

}  // namespace anneal
