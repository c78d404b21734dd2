// Each device kernel called on host arrays, for the tests that hold it to its CPU twin in ops.h.
#include "cuda_engine.h"
#include "gemm.cuh"
#include "ops.cuh"
#include "stats.cuh"

namespace anneal::cuda::kernels {

namespace {

template <typename T>
DeviceBuffer<T> on_device(const std::vector<T>& host) {
  DeviceBuffer<T> buffer(std::max<size_t>(host.size(), 1));
  if (!host.empty()) check(cudaMemcpy(buffer.get(), host.data(), host.size() * sizeof(T), cudaMemcpyHostToDevice), "upload");
  return buffer;
}

std::vector<float> to_float(const std::vector<bf16>& values) {
  std::vector<float> out(values.size());
  for (size_t i = 0; i < values.size(); ++i) out[i] = __bfloat162float(values[i]);
  return out;
}

void finish(const char* what) { check(cudaDeviceSynchronize(), what); }

}  // namespace

std::vector<float> gemm(const std::vector<float>& x, const std::vector<float>& w, const std::vector<float>& bias,
                        const std::vector<float>& y_in, int m, int n, int k, bool accumulate, GemmBackend backend,
                        const WmmaChoice& choice) {
  auto dx = on_device(to_bf16(x));
  auto dw = on_device(to_bf16(w));
  auto db = on_device(bias);
  auto dy = on_device(y_in.empty() ? std::vector<float>(size_t(m) * n, 0.0f) : y_in);
  const float* b = bias.empty() ? nullptr : db.get();
  if (backend == GemmBackend::Cublas) {
    gemm_cublas(dx.get(), m, dw.get(), n, k, b, dy.get(), accumulate, nullptr);
  } else {
    gemm_wmma(dx.get(), m, dw.get(), n, k, b, dy.get(), accumulate, nullptr, choice);
  }
  finish("gemm");
  return download(dy.get(), size_t(m) * n);
}

std::vector<float> rms_norm(const std::vector<float>& x, const std::vector<float>& weight, int rows, int dim, float eps) {
  auto dx = on_device(x);
  auto dw = on_device(weight);
  DeviceBuffer<bf16> dy(std::max<size_t>(size_t(rows) * dim, 1));
  cuda::rms_norm(dx.get(), dim, dw.get(), dy.get(), rows, dim, eps, nullptr);
  finish("rms_norm");
  return to_float(download(dy.get(), size_t(rows) * dim));
}

std::vector<float> rope(const std::vector<float>& x, const std::vector<int32_t>& positions, int rows, int heads,
                        int head_dim, int rotary_dim, float theta) {
  auto dx = on_device(x);
  auto dp = on_device(positions);
  cuda::rope(dx.get(), heads * head_dim, dp.get(), rows, heads, head_dim, rotary_dim, theta, nullptr);
  finish("rope");
  return download(dx.get(), x.size());
}

std::vector<float> attention(const std::vector<float>& q, const std::vector<float>& keys,
                             const std::vector<float>& values, int rows, int length, int heads, int kv_heads,
                             int head_dim, int splits, AttentionKernel kernel) {
  auto dq = on_device(q);
  auto dk = on_device(to_bf16(keys));
  auto dv = on_device(to_bf16(values));
  DeviceBuffer<bf16> out(std::max<size_t>(size_t(rows) * heads * head_dim, 1));
  if (splits <= 0) splits = attention_splits(rows, length, heads, head_dim, multiprocessors(), kernel);
  DeviceBuffer<float> scratch(std::max<size_t>(attention_scratch_floats(rows, heads, head_dim, splits), 1));
  cuda::attention(dq.get(), heads * head_dim, dk.get(), dv.get(), out.get(), rows, length, heads, kv_heads, head_dim,
                  nullptr, splits, scratch.get(), kernel);
  finish("attention");
  return to_float(download(out.get(), size_t(rows) * heads * head_dim));
}

std::vector<float> silu_mul(const std::vector<float>& gate, const std::vector<float>& up) {
  auto dg = on_device(gate);
  auto du = on_device(up);
  DeviceBuffer<bf16> out(std::max<size_t>(gate.size(), 1));
  const int n = static_cast<int>(gate.size());
  cuda::silu_mul(dg.get(), du.get(), n, out.get(), 1, n, nullptr);
  finish("silu_mul");
  return to_float(download(out.get(), gate.size()));
}

std::vector<RowStats> row_stats(const std::vector<float>& logits, int rows, int vocab, const SamplingParams& sampling,
                                const std::vector<uint64_t>& positions, uint64_t step, const std::vector<uint8_t>& allowed) {
  auto dl = on_device(logits);
  std::vector<RowDraw> draws(rows);
  for (int r = 0; r < rows; ++r) {
    draws[r] = RowDraw{sampling.temperature, sampling.seed, positions[r], step};
    if (!allowed.empty()) draws[r].mask = static_cast<int64_t>(r) * vocab;
  }
  auto dd = on_device(draws);
  DeviceBuffer<uint8_t> masks(std::max<size_t>(allowed.size(), 1));
  masks.upload(allowed);
  DeviceBuffer<RowStats> out(std::max(rows, 1));
  cuda::row_stats(dl.get(), rows, vocab, dd.get(), allowed.empty() ? nullptr : masks.get(), out.get(), nullptr);
  finish("row_stats");
  return download(out.get(), size_t(rows));
}

}  // namespace anneal::cuda::kernels
