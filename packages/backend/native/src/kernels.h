// The innermost loops, in builds chosen at run time: portable C++, AVX2/FMA and AVX-512F (with the
// int8 products on AVX-512 VNNI where the CPU has it, else on AVX2's).
// Everything above this file (ops.cpp, model.cpp) is written once against this table.
#pragma once

#include <cstddef>
#include <cstdint>

#include "dtype.h"

namespace anneal {

// GEMM panels hold 16 output features, stored k-major: panel[k * 16 + j] = W[n0 + j][k].
constexpr int kPanelWidth = 16;
// No micro-kernel computes more rows of output at once than this (each says how many it does).
constexpr int kMaxTileRows = 12;
// A quantized product multiplies one weight row into at most this many activation rows per call.
constexpr int kMaxQuantRows = 8;

// out[r] = Σ dequant(w)·dequant(act_r) over k values, for r < rows (≤ kMaxQuantRows): `w` is one
// weight row of GGUF blocks, act_r the row at acts + r · stride as quantize_activations lays it out.
using QuantDot = void (*)(const uint8_t* w, const uint8_t* acts, size_t stride, int rows, int k, float* out);
// One row of k activations as the int8 blocks that products with `weight`'s blocks take
// (quant_format.h); every path gives the same bytes as the portable quantize_activations.
using QuantizeActivations = void (*)(DType weight, const float* x, int k, uint8_t* out);

// out[r][j] = Σ dequant(W[j])·dequant(act_r), for j < 16 and r < rows (≤ kMaxQuantRows): `panel` is
// sixteen weight rows in quant_panels.h's layout, act_r as for QuantDot.
using QuantPanelDot = void (*)(const uint8_t* panel, const uint8_t* acts, size_t stride, int rows, int k, float* out);
// Two consecutive panels (32 output features, the second panel_stride bytes after the first) at once,
// out[r][32]: each activation broadcast feeds two dpbusd, which the one-panel tiles' loads bound.
using QuantPanelPairDot = void (*)(const uint8_t* panel, size_t panel_stride, const uint8_t* acts, size_t stride,
                                   int rows, int k, float* out);
// The products over panels, where an ISA has them (null members elsewhere), and its int8 peak loop.
struct QuantPanelDots {
  QuantPanelDot q8_0 = nullptr, q4_0 = nullptr, q4_k = nullptr, q5_k = nullptr, q6_k = nullptr;
  // A register-only int8 dot-product loop: `iterations` rounds of int8_loop_ops operations.
  float (*int8_loop)(int64_t iterations) = nullptr;
  int int8_loop_ops = 0;
  // Pairs of panels at once where a type has them (null: one panel at a time).
  QuantPanelPairDot q8_0_pair = nullptr, q4_k_pair = nullptr;
};
extern const QuantPanelDots kVnniPanelDots;  // only where cpu_has_avx512_vnni()
extern const QuantPanelDots kAvx2PanelDots;  // only where cpu_has_avx2_fma()

struct QuantDots {
  const char* name;  // the instructions they use: "portable", "avx2" (maddubs) or "vnni" (dpbusd)
  QuantDot q8_0, q4_0, q4_k, q5_k, q6_k;
  QuantizeActivations quantize_activations;
  // Products over interleaved panels, where the table has them: weights of these types are repacked
  // at load (use_quant_panels in ops.h) and multiplied sixteen rows at a time.
  const QuantPanelDots* panels = nullptr;
};
extern const QuantDots kPortableQuantDots;
extern const QuantDots kAvx2QuantDots;  // only where cpu_has_avx2_fma()
extern const QuantDots kVnniQuantDots;  // only where cpu_has_avx512_vnni()

// Products with BF16 weights on the CPU's BF16 dot-product instruction (AVX-512 BF16's vdpbf16ps):
// the activations are rounded to BF16 too (as GPUs' tensor cores take them), and pairs of products
// are summed in float32. Faster than widening the weights, at BF16 precision on the activations.
struct Bf16Dots {
  const char* name;
  // out[i] = x[i] rounded to the nearest BF16 (ties to even), as bits.
  void (*to_bf16)(const float* x, int n, uint16_t* out);
  // y[r][j] (+)= bias[j] + sum_k xb[r][k] * W[j][k] for r < rows (≤ the table's tile_rows) and j < cols
  // (≤ 16 · panels), over `panels` (1 or 2) consecutive 16-bit panels of gemm_tile_bf16's layout,
  // panel_stride elements apart, with xb the activation rows as BF16 bits (row stride ldx).
  void (*gemm_tile)(const uint16_t* xb, int ldx, int rows, const uint16_t* panel, size_t panel_stride, int panels, int k,
                    const float* bias, float* y, int ldy, int cols, bool accumulate);
  // A register-only vdpbf16ps loop (the BF16 peak): `iterations` rounds of dot_loop_flops flops.
  float (*dot_loop)(int64_t iterations);
  int dot_loop_flops;
};

// The portable element-wise kernels (std::exp), the twins the vector ones are tested against.
void silu_mul_portable(const float* gate, const float* up, float* out, size_t n);
float exp_shifted_portable(float* row, int n, float shift, float scale);

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
  // Products with block-quantized weights.
  QuantDots quant;
  // BF16 weights on the BF16 dot-product instruction, where the CPU has it (else null).
  const Bf16Dots* bf16_dot = nullptr;
  // Where a table has them (AVX-512's 32 registers): the F32 and widened-BF16 tiles over two
  // consecutive panels (panel_stride elements apart) at once, cols ≤ 32 — each x value loaded once
  // feeds two FMAs, which the one-panel tile's loads would otherwise bound. Null elsewhere.
  void (*gemm_tile_pair)(const float* x, int ldx, int rows, const float* panel, size_t panel_stride, int k,
                         const float* bias, float* y, int ldy, int cols, bool accumulate) = nullptr;
  void (*gemm_tile_pair_bf16)(const float* x, int ldx, int rows, const uint16_t* panel, size_t panel_stride, int k,
                              const float* bias, float* y, int ldy, int cols, bool accumulate) = nullptr;
  void (*gemm_tile_pair_f16)(const float* x, int ldx, int rows, const uint16_t* panel, size_t panel_stride, int k,
                             const float* bias, float* y, int ldy, int cols, bool accumulate) = nullptr;
  // out[i] = silu(gate[i]) · up[i] = gate[i] / (1 + e^-gate[i]) · up[i]; out may be gate. Each element's
  // value depends only on its inputs (never on where a range starts), so thread splits agree.
  void (*silu_mul)(const float* gate, const float* up, float* out, size_t n) = silu_mul_portable;
  // row[j] = e^((row[j] − shift) · scale) in place; returns their sum (softmax's numerators).
  float (*exp_shifted)(float* row, int n, float shift, float scale) = exp_shifted_portable;
};

extern const Kernels kPortableKernels;
extern const Kernels kAvx2Kernels;    // only call where cpu_has_avx2_fma() is true
// only call where cpu_has_avx512() is true; its quantized products are VNNI's where the CPU has it
const Kernels& avx512_kernels();

bool cpu_has_avx2_fma();
bool cpu_has_avx512();
// AVX-512 VNNI with the VL forms (the int8 products use its 256-bit dpbusd).
bool cpu_has_avx512_vnni();
// AVX-512 BF16 with BW (vdpbf16ps, and the word permutes that pair a panel's rows for it).
bool cpu_has_avx512_bf16();
extern const Bf16Dots kAvx512Bf16Dots;  // only where cpu_has_avx512_bf16()
// The table named by ANNEAL_CPU (portable, avx2, avx512) if this CPU runs it, else the fastest it runs.
const Kernels& best_kernels();
// The table called `name` ("portable", "avx2", "avx512"); throws std::invalid_argument when this CPU lacks it.
const Kernels& kernels_by_name(const char* name);

}  // namespace anneal
