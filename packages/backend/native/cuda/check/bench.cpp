// The GPU benchmarks: forward passes per second of a LLaDA-8B-shaped model (random BF16 weights made
// on the device) for a 32-token block over a 512-token cached prefix and for a whole 1,024-token
// canvas, with our WMMA kernels and with cuBLAS when built; the default model's shape on the GPU and
// on the CPU engine; and the rooflines they are measured against.
#include <cuda_runtime_api.h>

#include <chrono>
#include <cstdio>
#include <functional>
#include <map>
#include <sstream>

#include "../../src/model.h"
#include "check.h"

namespace anneal::check {

namespace {

using Clock = std::chrono::steady_clock;

ModelConfig shape(int vocab, int dim, int layers, int heads, int head_dim, int ffn, float rope_theta) {
  ModelConfig c;
  c.vocab = vocab;
  c.dim = dim;
  c.layers = layers;
  c.heads = c.kv_heads = heads;
  c.head_dim = head_dim;
  c.ffn = ffn;
  c.rope_theta = rope_theta;
  return c;
}
ModelConfig llada_8b() { return shape(126464, 4096, 32, 32, 128, 12288, 500000); }
ModelConfig default_model() { return shape(8192, 256, 8, 4, 64, 768, 10000); }  // anneal-code-11m's

int64_t parameters(const ModelConfig& c) {
  const int64_t D = c.dim, QD = int64_t(c.heads) * c.head_dim, KD = int64_t(c.kv_heads) * c.head_dim;
  return int64_t(c.vocab) * D * (c.tied_embeddings ? 1 : 2) + D +
         c.layers * (2 * D + (QD + 2 * KD) * D + D * QD + 3 * int64_t(c.ffn) * D);
}

// What one forward pass of `rows` rows attending over `length` keys must move and compute: every
// weight read once (the embedding table only row by row, so not counted unless it is the head too),
// the K/V it attends over, and the matrix and attention arithmetic.
struct Work {
  double bytes, flops;
};
Work forward_work(const ModelConfig& c, int rows, int length) {
  const double weights_read = double(parameters(c)) - (c.tied_embeddings ? 0.0 : double(c.vocab) * c.dim);
  const double kv_bytes = 2.0 * 2.0 * c.layers * double(length) * c.kv_heads * c.head_dim;
  const double attention_flops = 4.0 * c.layers * double(rows) * length * c.heads * c.head_dim;
  return {2.0 * weights_read + kv_bytes, 2.0 * weights_read * rows + attention_flops};
}

// One forward pass of a `block` of rows after a `prefix` held in the KV cache (prefix 0: the whole
// canvas, no cache), as a closure; the cache is filled once, here. The LM head runs on the block.
std::function<void()> block_pass(Engine& engine, int prefix, int block) {
  const int length = prefix + block;
  std::vector<int32_t> tokens(length);
  for (int i = 0; i < length; ++i) tokens[i] = (i * 7919) % engine.config().vocab;
  std::shared_ptr<KvCache> cache;
  if (prefix > 0) {
    cache = engine.create_cache(length);
    std::vector<SequenceInput> fill(1);
    fill[0].tokens = tokens;
    fill[0].row_end = fill[0].attend_length = length;
    fill[0].cache = cache;
    fill[0].stat_rows = {0};
    engine.forward(fill);
  }
  return [&engine, tokens, cache, prefix, length] {
    std::vector<SequenceInput> batch(1);
    batch[0].tokens = tokens;
    batch[0].row_begin = prefix;
    batch[0].row_end = batch[0].attend_length = length;
    batch[0].cache = cache;
    for (int i = prefix; i < length; ++i) batch[0].stat_rows.push_back(i);
    engine.forward(batch);  // returns after the device has finished (the stats are on the host)
  };
}

double forwards_per_second(Engine& engine, int prefix, int block, double seconds) {
  const auto pass = block_pass(engine, prefix, block);
  pass();
  pass();
  int runs = 0;
  const auto start = Clock::now();
  double elapsed = 0;
  while (runs < 3 || elapsed < seconds) {
    pass();
    ++runs;
    elapsed = std::chrono::duration<double>(Clock::now() - start).count();
  }
  return runs / elapsed;
}

// Device milliseconds per forward pass, phase by phase, of a profiled engine over `passes` passes.
std::map<std::string, double> phase_milliseconds(Engine& engine, int prefix, int block, int passes) {
  const auto pass = block_pass(engine, prefix, block);
  pass();
  pass();
  cuda::phase_seconds(engine, true);
  for (int i = 0; i < passes; ++i) pass();
  std::map<std::string, double> ms = cuda::phase_seconds(engine, true);
  for (auto& [phase, value] : ms) value = value * 1e3 / passes;
  return ms;
}

// Device-to-device copy bandwidth, counting bytes read and written: what streaming weights can reach.
double copy_bandwidth() {
  const size_t bytes = size_t(1) << 30;
  void *a = nullptr, *b = nullptr;
  if (cudaMalloc(&a, bytes) != cudaSuccess || cudaMalloc(&b, bytes) != cudaSuccess) {
    cudaFree(a);
    return 0;
  }
  cudaMemcpy(b, a, bytes, cudaMemcpyDeviceToDevice);
  cudaDeviceSynchronize();
  const int runs = 20;
  const auto start = Clock::now();
  for (int i = 0; i < runs; ++i) cudaMemcpy(b, a, bytes, cudaMemcpyDeviceToDevice);
  cudaDeviceSynchronize();
  const double seconds = std::chrono::duration<double>(Clock::now() - start).count();
  cudaFree(a);
  cudaFree(b);
  return 2.0 * bytes * runs / seconds;
}

// Published peaks (dense BF16 tensor FLOP/s, HBM bytes/s) for the GPUs we run on; 0 when unknown.
std::pair<double, double> published_peaks(const std::string& name) {
  if (name.find("H200") != std::string::npos) return {989e12, 4.8e12};
  if (name.find("H100") != std::string::npos && name.find("PCIe") != std::string::npos) return {756e12, 2.0e12};
  if (name.find("H100") != std::string::npos) return {989e12, 3.35e12};
  if (name.find("A100") != std::string::npos) return {312e12, 2.0e12};
  return {0, 0};
}

}  // namespace

std::string run_sweep(int repeats, bool gemms, bool attention) {
  const cuda::DeviceProbe device = cuda::probe();
  const auto [peak_flops, peak_bandwidth] = published_peaks(device.name);
  std::ostringstream json;
  json << "{\n  \"device\": \"" << device.name << "\",\n  \"gemm\": [";
  bool first = true;
  const ModelConfig c = llada_8b();
  struct Shape {
    const char* name;
    int n, k;
  };
  const std::vector<Shape> shapes{{"q|k|v", 3 * c.dim, c.dim}, {"o", c.dim, c.dim}, {"gate|up", 2 * c.ffn, c.dim},
                                  {"down", c.dim, c.ffn}, {"head", c.vocab, c.dim}};
  for (int m : gemms ? std::vector<int>{32, 1024} : std::vector<int>{}) {
    std::vector<GemmVariant> variants;
    const std::vector<cuda::WmmaTile> tiles =
        m <= 32 ? std::vector<cuda::WmmaTile>{cuda::WmmaTile::Rows32x64, cuda::WmmaTile::Rows32x128}
                : std::vector<cuda::WmmaTile>{cuda::WmmaTile::Square64, cuda::WmmaTile::Square128};
    for (auto tile : tiles) {
      for (int stages : m <= 32 ? std::vector<int>{2, 3, 4} : std::vector<int>{2, 3}) {
        for (int blocks : m <= 32 ? std::vector<int>{2, 4, 8} : std::vector<int>{2}) {
          variants.push_back({std::string("wmma ") + cuda::tile_name(tile) + " s" + std::to_string(stages) + " b" +
                                  std::to_string(blocks),
                              cuda::GemmBackend::Wmma, cuda::WmmaChoice{tile, stages, blocks}});
        }
      }
    }
    if (m <= 32) {
      for (auto tile : {cuda::WmmaTile::Stream32x64, cuda::WmmaTile::Stream32x128}) {
        for (int stages : {2, 3, 4}) {
          for (int blocks : {0}) {
            variants.push_back({std::string("wmma ") + cuda::tile_name(tile) + " s" + std::to_string(stages) + " b" +
                                    (blocks ? std::to_string(blocks) : "max"),
                                cuda::GemmBackend::Wmma, cuda::WmmaChoice{tile, stages, blocks}});
          }
        }
      }
    }
    variants.push_back({"wmma auto", cuda::GemmBackend::Wmma, {}});
    if (cuda::cublas_built()) variants.push_back({"cublas", cuda::GemmBackend::Cublas, {}});
    for (const Shape& shape : shapes) {
      std::printf("gemm m %d n %d k %d (%s):\n", m, shape.n, shape.k, shape.name);
      for (const GemmVariant& v : variants) {
        const double seconds = cuda::kernels::time_gemm(m, shape.n, shape.k, v.backend, v.choice, repeats);
        const double bytes = 2.0 * shape.n * shape.k, flops = 2.0 * m * shape.n * shape.k;
        std::printf("  %-22s %9.1f us  %7.0f GB/s (%3.0f%%)  %6.1f TFLOP/s (%3.0f%%)\n", v.name.c_str(), seconds * 1e6,
                    bytes / seconds / 1e9, peak_bandwidth > 0 ? 100 * bytes / seconds / peak_bandwidth : 0.0,
                    flops / seconds / 1e12, peak_flops > 0 ? 100 * flops / seconds / peak_flops : 0.0);
        json << (first ? "\n" : ",\n") << "    {\"m\": " << m << ", \"n\": " << shape.n << ", \"k\": " << shape.k
             << ", \"variant\": \"" << v.name << "\", \"seconds\": " << seconds << "}";
        first = false;
      }
    }
  }
  json << "\n  ],\n  \"attention\": [";
  first = true;
  for (auto [rows, length] : attention ? std::vector<std::pair<int, int>>{{32, 544}, {1024, 1024}}
                                      : std::vector<std::pair<int, int>>{}) {
    std::printf("attention rows %d keys %d heads %d dim %d:\n", rows, length, c.heads, c.head_dim);
    for (auto kernel : {cuda::AttentionKernel::Scalar, cuda::AttentionKernel::TensorCores}) {
      const char* name = kernel == cuda::AttentionKernel::Scalar ? "scalar" : "tensor-cores";
      for (int splits : rows <= 32 ? std::vector<int>{0, 1, 2, 3, 5, 9} : std::vector<int>{0}) {
        const double seconds =
            cuda::kernels::time_attention(rows, length, c.heads, c.kv_heads, c.head_dim, splits, repeats, kernel);
        std::printf("  %-12s splits %-6s %9.1f us\n", name, splits == 0 ? "auto" : std::to_string(splits).c_str(),
                    seconds * 1e6);
        json << (first ? "\n" : ",\n") << "    {\"rows\": " << rows << ", \"keys\": " << length << ", \"kernel\": \""
             << name << "\", \"splits\": " << splits << ", \"seconds\": " << seconds << "}";
        first = false;
      }
    }
  }
  json << "\n  ]\n}";
  return json.str();
}

std::string run_benchmarks(int seconds_per_case) {
  const cuda::DeviceProbe device = cuda::probe();
  const auto [peak_flops, peak_bandwidth] = published_peaks(device.name);
  const double measured_bandwidth = copy_bandwidth();
  std::ostringstream json;
  json << "{\n  \"device\": \"" << device.name << "\",\n  \"published_bf16_flops\": " << peak_flops
       << ",\n  \"published_bandwidth_bytes_per_s\": " << peak_bandwidth
       << ",\n  \"measured_copy_bandwidth_bytes_per_s\": " << measured_bandwidth << ",\n  \"cases\": [";
  bool first = true;
  auto record = [&](const std::string& model, const std::string& engine, const ModelConfig& c, int prefix, int block, double fps) {
    const Work work = forward_work(c, block, prefix + block);
    const double bandwidth_roofline = peak_bandwidth > 0 ? peak_bandwidth / work.bytes : 0;
    const double flop_roofline = peak_flops > 0 ? peak_flops / work.flops : 0;
    const double roofline = std::min(bandwidth_roofline, flop_roofline);
    std::printf("%-14s %-12s prefix %4d block %4d: %8.2f forwards/s  (roofline %8.2f: %.0f%%)\n", model.c_str(),
                engine.c_str(), prefix, block, fps, roofline, roofline > 0 ? 100 * fps / roofline : 0.0);
    json << (first ? "\n" : ",\n") << "    {\"model\": \"" << model << "\", \"engine\": \"" << engine
         << "\", \"cached_prefix\": " << prefix << ", \"rows\": " << block << ", \"forwards_per_s\": " << fps
         << ", \"bytes_per_forward\": " << work.bytes << ", \"flops_per_forward\": " << work.flops
         << ", \"bandwidth_roofline_forwards_per_s\": " << bandwidth_roofline
         << ", \"flop_roofline_forwards_per_s\": " << flop_roofline
         << ", \"fraction_of_roofline\": " << (roofline > 0 ? fps / roofline : 0) << "}";
    first = false;
  };

  std::ostringstream phases;
  std::vector<cuda::GemmBackend> backends{cuda::GemmBackend::Wmma};
  if (cuda::cublas_built()) backends.push_back(cuda::GemmBackend::Cublas);
  for (auto backend : backends) {
    const std::string name = backend == cuda::GemmBackend::Cublas ? "cuda-cublas" : "cuda-wmma";
    cuda::EngineOptions options;
    options.gemm = backend;
    {
      auto engine = cuda::random_engine(llada_8b(), 1, options);
      record("llada-8b-shape", name, llada_8b(), 512, 32, forwards_per_second(*engine, 512, 32, seconds_per_case));
      record("llada-8b-shape", name, llada_8b(), 0, 1024, forwards_per_second(*engine, 0, 1024, seconds_per_case));
    }
    {  // where the block forward's time goes (events between phases; a separate engine, so the
       // timings above carry no profiling cost)
      cuda::EngineOptions profiled = options;
      profiled.profile = true;
      auto engine = cuda::random_engine(llada_8b(), 1, profiled);
      const auto ms = phase_milliseconds(*engine, 512, 32, 20);
      double total = 0;
      for (const auto& [phase, value] : ms) total += value;
      std::printf("  %s block forward by phase (ms per forward, total %.2f):", name.c_str(), total);
      phases << (phases.tellp() > 0 ? ",\n" : "\n") << "    \"" << name << "\": {";
      bool first_phase = true;
      for (const auto& [phase, value] : ms) {
        std::printf(" %s %.3f;", phase.c_str(), value);
        phases << (first_phase ? "" : ", ") << "\"" << phase << "\": " << value;
        first_phase = false;
      }
      phases << "}";
      std::printf("\n");
    }
    auto small = cuda::random_engine(default_model(), 1, options);
    record("anneal-code-11m-shape", name, default_model(), 224, 32, forwards_per_second(*small, 224, 32, seconds_per_case));
    record("anneal-code-11m-shape", name, default_model(), 0, 256, forwards_per_second(*small, 0, 256, seconds_per_case));
  }
  const RandomWeights weights = write_random_weights(default_model(), 3, "/tmp/anneal-default-shape.bin");
  Model cpu(default_model(), {weights.file}, weights.tensors, 0);
  const std::string cpu_name = "cpu-" + cpu.kernels_name() + "-" + std::to_string(cpu.threads()) + "t";
  record("anneal-code-11m-shape", cpu_name, default_model(), 224, 32, forwards_per_second(cpu, 224, 32, seconds_per_case));
  record("anneal-code-11m-shape", cpu_name, default_model(), 0, 256, forwards_per_second(cpu, 0, 256, seconds_per_case));
  json << "\n  ],\n  \"block_forward_phases_ms\": {" << phases.str() << "\n  }\n}";
  return json.str();
}

}  // namespace anneal::check
