// The CUDA engine as the rest of the addon sees it: plain C++ (no CUDA types), so addon.cpp builds
// with the host compiler. Everything here exists only when the addon was built with ANNEAL_WITH_CUDA.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "../src/engine.h"
#include "../src/weight_reader.h"

namespace anneal::cuda {

// Whether a GPU answers. Never throws: without a driver or a device, `count` is 0 and `error` says why.
struct DeviceProbe {
  int count = 0;
  std::string name;          // device 0
  int compute_capability = 0;  // e.g. 90 for an H100
  double memory_gib = 0;
  std::string error;
};
DeviceProbe probe();

// Which matrix-product implementation runs: our tensor-core kernels, or cuBLAS when it was found at
// build time (the default then).
enum class GemmBackend { Wmma, Cublas };
bool cublas_built();

// The WMMA kernel's tile shapes. `Auto` picks by m (see gemm_wmma.cu); the others exist so that
// anneal-cuda-check --sweep can time each shape against the rest on the machine at hand.
// Stream32x*: the persistent stream-K kernel for m ≤ 32 (gemm_stream.cu).
enum class WmmaTile { Auto, Rows32x64, Rows32x128, Square64, Square128, Stream32x64, Stream32x128 };

struct WmmaChoice {
  WmmaTile tile = WmmaTile::Auto;
  int stages = 0;         // shared-memory pipeline depth, 2–4; 0: the tile's default
  int blocks_per_sm = 0;  // split-K target when the output alone gives too few blocks; 0: default
};
const char* tile_name(WmmaTile tile);

// Which attention kernel runs: tensor cores when the head dim allows (a multiple of 16), or the
// scalar kernel that takes any even head dim (the simple path the checks hold the other to).
enum class AttentionKernel { Auto, Scalar, TensorCores };

struct EngineOptions {
  GemmBackend gemm = cublas_built() ? GemmBackend::Cublas : GemmBackend::Wmma;
  bool profile = false;  // time each phase of every forward pass (see phase_seconds)
};

// Uploads a checkpoint's weights to GPU 0 as BF16. Throws (naming the file or tensor) on bad input
// and with the CUDA error when the device fails.
std::unique_ptr<Engine> load_engine(const ModelConfig& config, const std::vector<std::string>& files,
                                    const std::map<std::string, TensorSource>& tensors, const EngineOptions& options);

// A model of the given shape with random BF16 weights made on the device (benchmarks of shapes whose
// checkpoints would take minutes to read, e.g. LLaDA-8B's).
std::unique_ptr<Engine> random_engine(const ModelConfig& config, uint64_t seed, const EngineOptions& options);

// Device seconds per phase of the forward passes so far ("attention", "gate|up gemm", …), summed;
// empty unless the engine was made with EngineOptions::profile. Clears the totals when `reset`.
std::map<std::string, double> phase_seconds(Engine& engine, bool reset);

// Each kernel on its own, over host arrays, for tests against the CPU twins in ops.h. BF16 rounding
// happens where the engine rounds: GEMM inputs, K/V, attention output.
namespace kernels {
// y[m][n] (+)= x[m][k] · w[n][k] + bias[n]
std::vector<float> gemm(const std::vector<float>& x, const std::vector<float>& w, const std::vector<float>& bias,
                        const std::vector<float>& y_in, int m, int n, int k, bool accumulate, GemmBackend backend,
                        const WmmaChoice& choice = {});
std::vector<float> rms_norm(const std::vector<float>& x, const std::vector<float>& weight, int rows, int dim, float eps);
std::vector<float> rope(const std::vector<float>& x, const std::vector<int32_t>& positions, int rows, int heads,
                        int head_dim, int rotary_dim, float theta);
std::vector<float> attention(const std::vector<float>& q, const std::vector<float>& keys,
                             const std::vector<float>& values, int rows, int length, int heads, int kv_heads,
                             int head_dim, int splits = 0,  // key ranges; 0: as the engine picks
                             AttentionKernel kernel = AttentionKernel::Auto);
std::vector<float> silu_mul(const std::vector<float>& gate, const std::vector<float>& up);
// `allowed`: empty, or one mask of `vocab` bytes per row (1: the token may be proposed).
std::vector<RowStats> row_stats(const std::vector<float>& logits, int rows, int vocab, const SamplingParams& sampling,
                                const std::vector<uint64_t>& positions, uint64_t step,
                                const std::vector<uint8_t>& allowed = {});

// Median seconds of one y = x · Wᵀ (m × n × k, random BF16), rotating over enough copies of W that
// each call reads it from device memory rather than L2.
double time_gemm(int m, int n, int k, GemmBackend backend, const WmmaChoice& choice, int repeats);
// Median seconds of one attention call (random inputs); splits 0: as the engine picks.
double time_attention(int rows, int length, int heads, int kv_heads, int head_dim, int splits, int repeats,
                      AttentionKernel kernel = AttentionKernel::Auto);
}  // namespace kernels

}  // namespace anneal::cuda
