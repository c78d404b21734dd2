// The built-in model end to end on the GPU: its real weights (a manifest that bench/device.sh writes
// with Python, since the checkpoint reader proper is TypeScript), a tokenised code prompt, and a
// 32-token answer denoised greedily — one token per step, and Fast-dLLM's confidence threshold 0.9 —
// on the CPU engine and on each CUDA GEMM backend. Checked: every step of the CPU's answer run on
// both engines gives the same tokens but for near-ties. Reported: each engine's whole answer, how
// many of its tokens match the CPU's, and tokens per second.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <sstream>

#include "../../src/model.h"
#include "check.h"

namespace anneal::check {

namespace {

struct Manifest {
  ModelConfig config;
  int mask_id = 0, eos_id = 0;
  std::string file;
  std::map<std::string, TensorSource> tensors;
  std::vector<int32_t> prompt;
};

Manifest read_manifest(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw std::runtime_error("cannot read " + path);
  Manifest m;
  std::string line;
  while (std::getline(in, line)) {
    std::istringstream words(line);
    std::string kind;
    words >> kind;
    if (kind == "config") {
      ModelConfig& c = m.config;
      int bias = 0, tied = 0;
      words >> c.vocab >> c.dim >> c.layers >> c.heads >> c.kv_heads >> c.head_dim >> c.ffn >> c.eps >> c.rope_theta >>
          bias >> tied >> m.mask_id >> m.eos_id;
      c.qkv_bias = bias != 0;
      c.tied_embeddings = tied != 0;
    } else if (kind == "file") {
      words >> m.file;
    } else if (kind == "tensor") {
      TensorSource t;
      std::string key, dtype;
      int dims = 0;
      words >> key >> t.name >> dtype >> t.offset >> dims;
      t.dtype = parse_dtype(dtype);
      t.shape.resize(dims);
      for (int64_t& d : t.shape) words >> d;
      m.tensors[key] = t;
    } else if (kind == "prompt") {
      int32_t id;
      while (words >> id) m.prompt.push_back(id);
    }
    if (!words && !words.eof()) throw std::runtime_error(path + ": cannot parse: " + line);
  }
  return m;
}

struct Answer {
  std::vector<int32_t> tokens;
  int forwards = 0;
  double seconds = 0;
};

// Which masked rows a step commits: every row whose confidence is at least `threshold`, and always
// the single most confident one. End of text is committed last, as the server does for chat answers:
// a small model rates it likeliest almost everywhere, so rows whose best token is EOS wait until
// nothing else is left.
std::vector<size_t> rows_to_commit(const std::vector<RowStats>& stats, int eos_id, float threshold) {
  const bool only_eos = std::all_of(stats.begin(), stats.end(), [&](const RowStats& s) { return s.argmax == eos_id; });
  size_t best = stats.size();
  for (size_t i = 0; i < stats.size(); ++i) {
    if (!only_eos && stats[i].argmax == eos_id) continue;
    if (best == stats.size() || stats[i].confidence > stats[best].confidence) best = i;
  }
  std::vector<size_t> rows;
  for (size_t i = 0; i < stats.size(); ++i) {
    const bool eligible = only_eos || stats[i].argmax != eos_id;
    if (i == best || (eligible && stats[i].confidence >= threshold)) rows.push_back(i);
  }
  return rows;
}

std::vector<SequenceInput> masked_rows_of(const std::vector<int32_t>& canvas, int start, int mask_id) {
  std::vector<SequenceInput> batch(1);
  batch[0].tokens = canvas;
  batch[0].row_end = batch[0].attend_length = static_cast<int>(canvas.size());
  for (int i = start; i < static_cast<int>(canvas.size()); ++i) {
    if (canvas[i] == mask_id) batch[0].stat_rows.push_back(i);
  }
  return batch;
}

// Denoises `block` masked positions after the prompt, committing rows_to_commit each step.
Answer denoise(Engine& engine, const Manifest& m, int block, float threshold) {
  std::vector<int32_t> canvas = m.prompt;
  const int start = static_cast<int>(canvas.size());
  canvas.resize(start + block, m.mask_id);
  Answer answer;
  const auto begin = std::chrono::steady_clock::now();
  while (true) {
    std::vector<SequenceInput> batch = masked_rows_of(canvas, start, m.mask_id);
    if (batch[0].stat_rows.empty()) break;
    const std::vector<RowStats> stats = engine.forward(batch)[0].stats;
    ++answer.forwards;
    for (size_t i : rows_to_commit(stats, m.eos_id, threshold)) canvas[batch[0].stat_rows[i]] = stats[i].argmax;
  }
  answer.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - begin).count();
  answer.tokens.assign(canvas.begin() + start, canvas.end());
  return answer;
}

// Runs every step of the reference engine's one-token-per-step answer on both engines (the same
// canvas each time) and compares their statistics: the engine must pick the reference's token
// wherever the reference is not near a tie (margin above 0.05), with confidences within 0.02. A
// whole answer can part at a near-tie, since the GPU rounds activations to BF16; a step cannot.
struct StepAgreement {
  int compared = 0, disagreed = 0;
  double worst_confidence_gap = 0;
};
StepAgreement teacher_forced(Engine& reference, Engine& engine, const Manifest& m, int block) {
  std::vector<int32_t> canvas = m.prompt;
  const int start = static_cast<int>(canvas.size());
  canvas.resize(start + block, m.mask_id);
  StepAgreement agreement;
  while (true) {
    std::vector<SequenceInput> batch = masked_rows_of(canvas, start, m.mask_id);
    if (batch[0].stat_rows.empty()) break;
    std::vector<SequenceInput> same = batch;
    const std::vector<RowStats> expected = reference.forward(batch)[0].stats;
    const std::vector<RowStats> actual = engine.forward(same)[0].stats;
    for (size_t i = 0; i < expected.size(); ++i) {
      agreement.worst_confidence_gap =
          std::max(agreement.worst_confidence_gap, double(std::fabs(actual[i].confidence - expected[i].confidence)));
      if (expected[i].margin <= 0.05f) continue;
      ++agreement.compared;
      agreement.disagreed += actual[i].argmax != expected[i].argmax;
    }
    for (size_t i : rows_to_commit(expected, m.eos_id, 2.0f)) canvas[batch[0].stat_rows[i]] = expected[i].argmax;
  }
  return agreement;
}

}  // namespace

int run_default_model(const std::string& manifest_path, const std::string& answers_path) {
  const Manifest m = read_manifest(manifest_path);
  std::ofstream answers(answers_path);
  Model cpu(m.config, {m.file}, m.tensors, 0);
  std::vector<std::pair<std::string, std::unique_ptr<Engine>>> engines;
  std::vector<cuda::GemmBackend> backends{cuda::GemmBackend::Wmma};
  if (cuda::cublas_built()) backends.push_back(cuda::GemmBackend::Cublas);
  for (auto backend : backends) {
    cuda::EngineOptions options;
    options.gemm = backend;
    engines.emplace_back(backend == cuda::GemmBackend::Cublas ? "cuda-cublas" : "cuda-wmma",
                         cuda::load_engine(m.config, {m.file}, m.tensors, options));
  }
  int failed = 0;
  for (auto& [name, engine] : engines) {
    const StepAgreement step = teacher_forced(cpu, *engine, m, 32);
    const bool ok = step.disagreed == 0 && step.worst_confidence_gap < 0.02 && step.compared > 0;
    failed += !ok;
    std::printf("%s  default model, every step of the CPU's answer, %s: argmax agrees on %d of %d confident rows; "
                "confidence within %.4f (limit 0.02)\n",
                ok ? "PASS" : "FAIL", name.c_str(), step.compared - step.disagreed, step.compared,
                step.worst_confidence_gap);
  }
  // Whole answers, each engine on its own: tokens per second, and how many tokens match the CPU's.
  for (float threshold : {2.0f, 0.9f}) {  // 2.0: no position reaches it, so one token per step
    const std::string policy = threshold > 1 ? "one token per step" : "threshold 0.9";
    denoise(cpu, m, 32, threshold);  // warm-up
    const Answer expected = denoise(cpu, m, 32, threshold);
    std::printf("default model, %s: cpu %.1f tokens/s (%d forwards)\n", policy.c_str(),
                expected.tokens.size() / expected.seconds, expected.forwards);
    answers << "cpu " << policy;
    for (int32_t t : expected.tokens) answers << " " << t;
    answers << "\n";
    for (auto& [name, engine] : engines) {
      denoise(*engine, m, 32, threshold);  // warm-up
      const Answer actual = denoise(*engine, m, 32, threshold);
      int same = 0;
      for (size_t i = 0; i < expected.tokens.size(); ++i) same += actual.tokens[i] == expected.tokens[i];
      std::printf("default model, %s, %s: %d/%zu tokens as the CPU's; %.1f tokens/s (%d forwards, %.1fx the CPU)\n",
                  policy.c_str(), name.c_str(), same, expected.tokens.size(), actual.tokens.size() / actual.seconds,
                  actual.forwards, expected.seconds / actual.seconds);
      answers << name << " " << policy;
      for (int32_t t : actual.tokens) answers << " " << t;
      answers << "\n";
    }
  }
  return failed;
}

}  // namespace anneal::check
