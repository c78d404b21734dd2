// Kernel timings on the device for anneal-cuda-check --sweep: each GEMM tile shape and attention
// split count timed with CUDA events on random inputs, so the engine's defaults come from
// measurements on the GPU at hand rather than guesses.
#include <algorithm>
#include <vector>

#include "cuda_engine.h"
#include "gemm.cuh"
#include "ops.cuh"

namespace anneal::cuda::kernels {

namespace {

// Median of `repeats` timed calls of `call(i)`, after two warm-up calls.
template <typename Call>
double median_seconds(int repeats, Call call) {
  cudaEvent_t start, stop;
  check(cudaEventCreate(&start), "event");
  check(cudaEventCreate(&stop), "event");
  call(0);
  call(1);
  std::vector<float> times;
  for (int i = 0; i < repeats; ++i) {
    check(cudaEventRecord(start), "event");
    call(i + 2);
    check(cudaEventRecord(stop), "event");
    check(cudaEventSynchronize(stop), "timed call");
    float ms = 0;
    check(cudaEventElapsedTime(&ms, start, stop), "event");
    times.push_back(ms);
  }
  cudaEventDestroy(start);
  cudaEventDestroy(stop);
  std::sort(times.begin(), times.end());
  return times[times.size() / 2] / 1e3;
}

void fill_random(bf16* out, size_t n, uint64_t seed) { random_normal(out, n, 0.5f, seed, nullptr); }

}  // namespace

double time_gemm(int m, int n, int k, GemmBackend backend, const WmmaChoice& choice, int repeats) {
  // Enough copies of W to cover 256 MB (five times an H100's L2), at least two.
  const size_t w_size = size_t(n) * k;
  const int copies = std::max<int>(2, int((size_t(256) << 20) / (w_size * sizeof(bf16))) + 1);
  DeviceBuffer<bf16> x(size_t(m) * k), w(w_size * copies);
  DeviceBuffer<float> y(size_t(m) * n);
  fill_random(x.get(), x.size(), 1);
  fill_random(w.get(), w.size(), 2);
  check(cudaDeviceSynchronize(), "random inputs");
  const double seconds = median_seconds(repeats, [&](int i) {
    const bf16* weights = w.get() + (i % copies) * w_size;
    if (backend == GemmBackend::Cublas) {
      gemm_cublas(x.get(), m, weights, n, k, nullptr, y.get(), false, nullptr);
    } else {
      gemm_wmma(x.get(), m, weights, n, k, nullptr, y.get(), false, nullptr, choice);
    }
  });
  return seconds;
}

double time_attention(int rows, int length, int heads, int kv_heads, int head_dim, int splits, int repeats,
                      AttentionKernel kernel) {
  if (splits <= 0) splits = attention_splits(rows, length, heads, head_dim, multiprocessors(), kernel);
  DeviceBuffer<float> q(size_t(rows) * heads * head_dim), scratch(std::max<size_t>(attention_scratch_floats(rows, heads, head_dim, splits), 1));
  DeviceBuffer<bf16> keys(size_t(length) * kv_heads * head_dim), values(keys.size()), out(q.size());
  fill(q.get(), q.size(), 0.1f, nullptr);
  fill_random(keys.get(), keys.size(), 3);
  fill_random(values.get(), values.size(), 4);
  check(cudaDeviceSynchronize(), "random inputs");
  return median_seconds(repeats, [&](int) {
    cuda::attention(q.get(), heads * head_dim, keys.get(), values.get(), out.get(), rows, length, heads, kv_heads,
                    head_dim, nullptr, splits, scratch.get(), kernel);
  });
}

}  // namespace anneal::cuda::kernels
