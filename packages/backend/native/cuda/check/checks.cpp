// The GPU checks: each CUDA kernel against its CPU twin (ops.h) at odd sizes, then whole models
// (LLaDA-like, Dream-like with q/k/v bias and GQA, tied embeddings) against the CPU engine.
#include <algorithm>
#include <array>
#include <cstring>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <functional>
#include <random>

#include "../../src/model.h"
#include "../../src/ops.h"
#include "check.h"

namespace anneal::check {

namespace {

int failures = 0;

void report(bool ok, const std::string& what, double error, double limit) {
  std::printf("%s  %-72s error %.2e (limit %.0e)\n", ok ? "PASS" : "FAIL", what.c_str(), error, limit);
  if (!ok) ++failures;
}

std::vector<float> random_values(size_t n, uint64_t seed, float scale = 1.0f) {
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<float> dist(-scale, scale);
  std::vector<float> out(n);
  for (float& v : out) v = dist(rng);
  return out;
}

// Rounds to the nearest BF16, as the CUDA engine stores weights and GEMM inputs.
std::vector<float> bf16_rounded(std::vector<float> v) {
  for (float& x : v) {
    uint32_t bits;
    std::memcpy(&bits, &x, 4);
    bits = (bits + 0x7FFFu + ((bits >> 16) & 1u)) & 0xFFFF0000u;
    std::memcpy(&x, &bits, 4);
  }
  return v;
}

// max |a − b| / max |b|
double relative_error(const std::vector<float>& a, const std::vector<float>& b) {
  if (a.size() != b.size()) return INFINITY;
  double worst = 0, scale = 1e-12;
  for (size_t i = 0; i < a.size(); ++i) {
    worst = std::max(worst, std::fabs(double(a[i]) - b[i]));
    scale = std::max(scale, std::fabs(double(b[i])));
  }
  return worst / scale;
}

std::vector<cuda::GemmBackend> gemm_backends() {
  if (cuda::cublas_built()) return {cuda::GemmBackend::Wmma, cuda::GemmBackend::Cublas};
  return {cuda::GemmBackend::Wmma};
}

void check_kernels() {
  ThreadPool pool(4);
  const Context ctx{best_kernels(), pool};
  // Every WMMA tile shape at every pipeline depth, and cuBLAS, over sizes that reach each path:
  // ragged edges, k % 8 ≠ 0 (element-wise loads), split-K (small outputs, long k) with a last split
  // that ends inside a tile, and accumulation into y.
  std::vector<GemmVariant> variants;
  for (auto tile : {cuda::WmmaTile::Auto, cuda::WmmaTile::Rows32x64, cuda::WmmaTile::Rows32x128, cuda::WmmaTile::Square64,
                    cuda::WmmaTile::Square128}) {
    for (int stages : {2, 3, 4}) {
      if (tile == cuda::WmmaTile::Auto && stages != 2) continue;
      variants.push_back({std::string("wmma ") + cuda::tile_name(tile) + " stages " + std::to_string(stages),
                          cuda::GemmBackend::Wmma, cuda::WmmaChoice{tile, stages, 0}});
    }
  }
  // The persistent kernel (m ≤ 32; other sizes fall back to split-K), also with one block per SM so
  // that each block's share crosses column tiles.
  for (auto tile : {cuda::WmmaTile::Stream32x64, cuda::WmmaTile::Stream32x128}) {
    for (int stages : {2, 3, 4}) {
      for (int blocks : {0, 1}) {
        variants.push_back({std::string("wmma ") + cuda::tile_name(tile) + " stages " + std::to_string(stages) +
                                (blocks ? ", 1 block per SM" : ""),
                            cuda::GemmBackend::Wmma, cuda::WmmaChoice{tile, stages, blocks}});
      }
    }
  }
  if (cuda::cublas_built()) variants.push_back({"cublas", cuda::GemmBackend::Cublas, {}});
  const std::vector<std::array<int, 3>> sizes{{1, 1, 1},       {37, 45, 29},   {32, 96, 64},   {70, 130, 64},
                                              {129, 67, 136},  {32, 200, 1024}, {20, 64, 2056}, {130, 260, 520},
                                              {7, 300, 264},   {29, 4100, 1000}};
  struct Expected {
    std::vector<float> x, w, bias, start, plain, accumulated;
  };
  std::vector<Expected> expected;
  for (auto [m, n, k] : sizes) {
    Expected e{bf16_rounded(random_values(size_t(m) * k, m + k)), bf16_rounded(random_values(size_t(n) * k, n + 1)),
               random_values(n, 3), random_values(size_t(m) * n, 4), {}, {}};
    e.plain.resize(size_t(m) * n);
    e.accumulated = e.start;
    const PackedWeight packed = pack_weight(e.w.data(), n, k);
    gemm(ctx, e.x.data(), m, packed, e.bias.data(), e.plain.data(), false);
    gemm(ctx, e.x.data(), m, packed, e.bias.data(), e.accumulated.data(), true);
    expected.push_back(std::move(e));
  }
  for (const GemmVariant& variant : variants) {
    double worst = 0;
    for (size_t i = 0; i < sizes.size(); ++i) {
      const auto [m, n, k] = sizes[i];
      const Expected& e = expected[i];
      worst = std::max(worst, relative_error(cuda::kernels::gemm(e.x, e.w, e.bias, {}, m, n, k, false, variant.backend,
                                                                 variant.choice), e.plain));
      worst = std::max(worst, relative_error(cuda::kernels::gemm(e.x, e.w, e.bias, e.start, m, n, k, true,
                                                                 variant.backend, variant.choice), e.accumulated));
    }
    report(worst < 1e-4, variant.name + " gemm at 10 sizes (and accumulating)", worst, 1e-4);
  }
  {
    const int rows = 5, dim = 77;
    const auto x = random_values(size_t(rows) * dim, 5, 3), weight = random_values(dim, 6);
    std::vector<float> expected(x.size());
    rms_norm(ctx, x.data(), weight.data(), expected.data(), rows, dim, 1e-5f);
    const double e = relative_error(cuda::kernels::rms_norm(x, weight, rows, dim, 1e-5f), expected);
    report(e < 1.0 / 128, "rms_norm 5x77", e, 1.0 / 128);
  }
  for (const int rotary_dim : {10, 4}) {  // whole heads, and partial rotary (LLaDA2)
    const std::vector<int32_t> positions{0, 1, 7, 255, 511, 1023, 4095};
    const int heads = 3, head_dim = 10;
    const auto x = random_values(positions.size() * heads * head_dim, 7);
    std::vector<float> expected = x;
    rope(ctx, expected.data(), positions.data(), int(positions.size()), heads, head_dim, 10000.0f, false,
         RopePairs::RotateHalf, rotary_dim);
    const double e = relative_error(
        cuda::kernels::rope(x, positions, int(positions.size()), heads, head_dim, rotary_dim, 10000.0f), expected);
    report(e < 1e-3, rotary_dim == head_dim ? "rope, positions up to 4095" : "partial rope (4 of 10), positions up to 4095",
           e, 1e-3);
  }
  for (auto [rows, length, heads, kv, dim] :
       std::vector<std::array<int, 5>>{{19, 45, 6, 2, 18}, {1, 1, 1, 1, 2}, {33, 70, 4, 4, 128}, {16, 300, 8, 1, 64}, {5, 33, 2, 1, 256}, {32, 544, 32, 32, 128},
                                       {100, 200, 4, 2, 32}, {70, 129, 2, 2, 16}, {130, 150, 48, 16, 64}}) {
    const auto q = random_values(size_t(rows) * heads * dim, rows, 2);
    const auto keys = bf16_rounded(random_values(size_t(length) * kv * dim, length, 2));
    const auto values = bf16_rounded(random_values(size_t(length) * kv * dim, length + 9));
    std::vector<float> expected(q.size());
    attention(ctx, q.data(), rows, keys.data(), values.data(), length, heads, kv, dim, expected.data());
    const std::string shape = "rows " + std::to_string(rows) + " keys " + std::to_string(length) + " heads " +
                              std::to_string(heads) + "/" + std::to_string(kv) + " dim " + std::to_string(dim);
    // Both kernels (tensor cores take head dims that are multiples of 16), each with the key splits
    // the engine picks, one key range, and three merged ranges.
    for (auto kernel : {cuda::AttentionKernel::Scalar, cuda::AttentionKernel::TensorCores}) {
      if (kernel == cuda::AttentionKernel::TensorCores && dim % 16 != 0) continue;
      for (int splits : {0, 1, 3}) {
        const double e =
            relative_error(cuda::kernels::attention(q, keys, values, rows, length, heads, kv, dim, splits, kernel), expected);
        report(e < 1.0 / 64,
               std::string(kernel == cuda::AttentionKernel::Scalar ? "attention (scalar) " : "attention (tensor cores) ") +
                   shape + (splits == 0 ? ", splits auto" : ", splits " + std::to_string(splits)),
               e, 1.0 / 64);
      }
    }
  }
  {
    const auto gate = random_values(1001, 8, 4), up = random_values(1001, 9, 2);
    std::vector<float> expected(gate.size());
    silu_mul(ctx, gate.data(), up.data(), expected.data(), int64_t(gate.size()));
    const double e = relative_error(cuda::kernels::silu_mul(gate, up), expected);
    report(e < 1.0 / 128, "silu_mul 1001", e, 1.0 / 128);
  }
  for (float temperature : {0.0f, 0.8f}) {
    const int rows = 3, vocab = 126464;
    const auto logits = random_values(size_t(rows) * vocab, 10, 6);
    SamplingParams sampling;
    sampling.temperature = temperature;
    sampling.seed = 42;
    const std::vector<uint64_t> positions{3, 17, 400};
    const auto device = cuda::kernels::row_stats(logits, rows, vocab, sampling, positions, 5);
    double worst = 0;
    bool same_tokens = true;
    for (int r = 0; r < rows; ++r) {
      std::vector<float> row(logits.begin() + size_t(r) * vocab, logits.begin() + size_t(r + 1) * vocab);
      const RowStats host = row_stats(row.data(), vocab, sampling, positions[r], 5);
      same_tokens = same_tokens && host.argmax == device[r].argmax && host.sample == device[r].sample;
      for (auto [a, b] : {std::pair{host.confidence, device[r].confidence}, {host.margin, device[r].margin},
                          {host.sample_prob, device[r].sample_prob}}) {
        worst = std::max(worst, double(std::fabs(a - b)) / std::max(1e-12, double(std::fabs(a))));
      }
      worst = std::max(worst, double(std::fabs(host.entropy - device[r].entropy)) / std::max(1.0, double(host.entropy)));
    }
    report(same_tokens && worst < 1e-3,
           "row_stats over 126464 logits, temperature " + std::to_string(temperature).substr(0, 3) + " (same tokens)",
           worst, 1e-3);
  }
  // Constrained rows: every third token left out, and each row's best logit among them, so a mask
  // that were ignored would change the argmax.
  for (float temperature : {0.0f, 0.8f}) {
    const int rows = 3, vocab = 126464;
    auto logits = random_values(size_t(rows) * vocab, 11, 6);
    std::vector<uint8_t> allowed(logits.size());
    for (size_t i = 0; i < allowed.size(); ++i) allowed[i] = (i % vocab) % 3 != 0;
    for (int r = 0; r < rows; ++r) logits[size_t(r) * vocab + 3 * (r + 1)] = 50.0f;
    SamplingParams sampling;
    sampling.temperature = temperature;
    sampling.seed = 7;
    const std::vector<uint64_t> positions{1, 2, 3};
    const auto device = cuda::kernels::row_stats(logits, rows, vocab, sampling, positions, 9, allowed);
    double worst = 0;
    bool same_tokens = true;
    for (int r = 0; r < rows; ++r) {
      std::vector<float> row(logits.begin() + size_t(r) * vocab, logits.begin() + size_t(r + 1) * vocab);
      const RowStats host = row_stats(row.data(), vocab, sampling, positions[r], 9, allowed.data() + size_t(r) * vocab);
      same_tokens = same_tokens && host.argmax == device[r].argmax && host.sample == device[r].sample &&
                    device[r].argmax % 3 != 0 && device[r].sample % 3 != 0;
      for (auto [a, b] : {std::pair{host.confidence, device[r].confidence}, {host.margin, device[r].margin},
                          {host.sample_prob, device[r].sample_prob}}) {
        worst = std::max(worst, double(std::fabs(a - b)) / std::max(1e-12, double(std::fabs(a))));
      }
      worst = std::max(worst, double(std::fabs(host.entropy - device[r].entropy)) / std::max(1.0, double(host.entropy)));
    }
    report(same_tokens && worst < 1e-3,
           "row_stats under allowed-token masks, temperature " + std::to_string(temperature).substr(0, 3) +
               " (same tokens, none left out)",
           worst, 1e-3);
  }
}

void check_models() {
  struct Case {
    const char* name;
    ModelConfig config;
  };
  auto make = [](int kv, bool bias, bool tied, int head_dim) {
    ModelConfig c;
    c.vocab = 1000;
    c.dim = 4 * head_dim;
    c.layers = 3;
    c.heads = 4;
    c.kv_heads = kv;
    c.head_dim = head_dim;
    c.ffn = 3 * c.dim + 8;
    c.qkv_bias = bias;
    c.tied_embeddings = tied;
    return c;
  };
  const std::vector<Case> cases{{"LLaDA-like (MHA, no bias)", make(4, false, false, 64)},
                                {"Dream-like (GQA 4/2, q/k/v bias)", make(2, true, false, 32)},
                                {"tied embeddings, GQA 4/1, head dim 128", make(1, false, true, 128)}};
  std::vector<int32_t> tokens(45);
  for (size_t i = 0; i < tokens.size(); ++i) tokens[i] = int32_t((i * 37 + 11) % 1000);
  for (const Case& test : cases) {
    const RandomWeights weights = write_random_weights(test.config, 7, "/tmp/anneal-cuda-check.bin");
    Model cpu(test.config, {weights.file}, weights.tensors, 4);
    for (auto backend : gemm_backends()) {
      cuda::EngineOptions options;
      options.gemm = backend;
      const std::string name =
          std::string(test.name) + (backend == cuda::GemmBackend::Cublas ? ", cublas" : ", wmma");
      auto gpu = cuda::load_engine(test.config, {weights.file}, weights.tensors, options);
      auto whole = [&](Engine& engine) {
        std::vector<SequenceInput> batch(1);
        batch[0].tokens = tokens;
        batch[0].row_end = batch[0].attend_length = int(tokens.size());
        for (int i = 0; i < int(tokens.size()); ++i) batch[0].stat_rows.push_back(i);
        batch[0].want_logits = true;
        return engine.forward(batch)[0];
      };
      const SequenceOutput expected = whole(cpu), actual = whole(*gpu);
      const double e = relative_error(actual.logits, expected.logits);
      int confident = 0, agree = 0;
      for (size_t i = 0; i < expected.stats.size(); ++i) {
        if (expected.stats[i].margin < 0.02f) continue;
        ++confident;
        agree += expected.stats[i].argmax == actual.stats[i].argmax;
      }
      report(e < 0.03 && agree == confident, name + ": logits; argmax on " + std::to_string(confident) + " rows", e,
             0.03);

      // The same rows through a KV cache, batched with a second sequence, match the whole-canvas pass.
      auto cache = gpu->create_cache(int(tokens.size()));
      std::vector<SequenceInput> prefix(1);
      prefix[0].tokens = tokens;
      prefix[0].row_end = prefix[0].attend_length = int(tokens.size());
      prefix[0].cache = cache;
      prefix[0].stat_rows = {0};
      gpu->forward(prefix);
      std::vector<SequenceInput> batch(2);
      batch[0].tokens = tokens;
      batch[0].row_begin = 32;
      batch[0].row_end = 40;
      batch[0].attend_length = int(tokens.size());
      batch[0].cache = cache;
      for (int i = 32; i < 40; ++i) batch[0].stat_rows.push_back(i);
      batch[0].want_logits = true;
      batch[1].tokens = std::vector<int32_t>(tokens.begin(), tokens.begin() + 20);
      batch[1].row_end = batch[1].attend_length = 20;
      batch[1].stat_rows = {19};
      const auto outputs = gpu->forward(batch);
      const std::vector<float> block(actual.logits.begin() + 32 * size_t(test.config.vocab),
                                     actual.logits.begin() + 40 * size_t(test.config.vocab));
      const double ec = relative_error(outputs[0].logits, block);
      report(ec < 0.02 && outputs[1].stats.size() == 1, name + ": cached block rows in a batch", ec, 0.02);
    }
  }
}

}  // namespace

RandomWeights write_random_weights(const ModelConfig& c, uint64_t seed, const std::string& path) {
  RandomWeights out{path, {}};
  std::ofstream file(path, std::ios::binary | std::ios::trunc);
  size_t offset = 0;
  uint64_t n = 0;
  auto add = [&](const std::string& key, std::vector<int64_t> shape, float center, float scale) {
    size_t count = 1;
    for (int64_t d : shape) count *= size_t(d);
    std::vector<float> values = random_values(count, seed * 1000 + ++n, scale);
    for (float& v : values) v += center;
    values = bf16_rounded(values);  // exact in BF16: both engines see the same weights
    file.write(reinterpret_cast<const char*>(values.data()), std::streamsize(count * sizeof(float)));
    out.tensors[key] = TensorSource{key, 0, offset, DType::F32, shape};
    offset += count * sizeof(float);
  };
  const int64_t D = c.dim, QD = int64_t(c.heads) * c.head_dim, KD = int64_t(c.kv_heads) * c.head_dim, F = c.ffn, V = c.vocab;
  add("embed", {V, D}, 0, 1.0f);
  add("final_norm", {D}, 1, 0.1f);
  if (!c.tied_embeddings) add("head", {V, D}, 0, 0.2f);
  for (int l = 0; l < c.layers; ++l) {
    const std::string p = "layers." + std::to_string(l) + ".";
    const float s = 1.0f / std::sqrt(float(D));
    add(p + "attn_norm", {D}, 1, 0.1f);
    add(p + "q", {QD, D}, 0, 2 * s);
    add(p + "k", {KD, D}, 0, 2 * s);
    add(p + "v", {KD, D}, 0, s);
    if (c.qkv_bias) {
      add(p + "q_bias", {QD}, 0, 0.1f);
      add(p + "k_bias", {KD}, 0, 0.1f);
      add(p + "v_bias", {KD}, 0, 0.1f);
    }
    add(p + "o", {D, QD}, 0, s);
    add(p + "ffn_norm", {D}, 1, 0.1f);
    add(p + "gate", {F, D}, 0, s);
    add(p + "up", {F, D}, 0, s);
    add(p + "down", {D, F}, 0, 1.0f / std::sqrt(float(F)));
  }
  if (!file) throw std::runtime_error("cannot write " + path);
  return out;
}

int run_checks() {
  failures = 0;
  check_kernels();
  check_models();
  return failures;
}

}  // namespace anneal::check
