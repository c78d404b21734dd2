// anneal-cuda-check [--checks] [--sweep | --sweep-attention] [--bench SECONDS] [--json FILE] [--sweep-json FILE]
//                   [--default-model MANIFEST [--answers FILE]]: see check.h.
#include <cstdio>
#include <cstring>
#include <fstream>
#include <iostream>
#include <string>

#include "check.h"

int main(int argc, char** argv) {
  bool checks = false, sweep = false, sweep_attention_only = false;
  std::string sweep_json_path, manifest_path, answers_path = "/tmp/anneal-default-answers.txt";
  int bench_seconds = 0;
  std::string json_path;
  for (int i = 1; i < argc; ++i) {
    if (!std::strcmp(argv[i], "--checks")) {
      checks = true;
    } else if (!std::strcmp(argv[i], "--sweep")) {
      sweep = true;
    } else if (!std::strcmp(argv[i], "--default-model") && i + 1 < argc) {
      manifest_path = argv[++i];
    } else if (!std::strcmp(argv[i], "--answers") && i + 1 < argc) {
      answers_path = argv[++i];
    } else if (!std::strcmp(argv[i], "--sweep-attention")) {
      sweep = sweep_attention_only = true;
    } else if (!std::strcmp(argv[i], "--sweep-json") && i + 1 < argc) {
      sweep_json_path = argv[++i];
    } else if (!std::strcmp(argv[i], "--bench") && i + 1 < argc) {
      bench_seconds = std::atoi(argv[++i]);
    } else if (!std::strcmp(argv[i], "--json") && i + 1 < argc) {
      json_path = argv[++i];
    } else {
      std::fprintf(stderr, "usage: anneal-cuda-check [--checks] [--sweep | --sweep-attention] [--bench SECONDS] [--json FILE] [--sweep-json FILE]\n"
                           "                         [--default-model MANIFEST [--answers FILE]]\n");
      return 2;
    }
  }
  const anneal::cuda::DeviceProbe device = anneal::cuda::probe();
  if (device.count == 0) {
    std::fprintf(stderr, "anneal-cuda-check: no GPU: %s\n", device.error.c_str());
    return 3;
  }
  std::printf("device: %s (compute capability %d, %.1f GiB), cuBLAS %s\n", device.name.c_str(),
              device.compute_capability, device.memory_gib, anneal::cuda::cublas_built() ? "built" : "not built");
  int failed = 0;
  try {
    if (checks) failed = anneal::check::run_checks();
    if (!manifest_path.empty()) failed += anneal::check::run_default_model(manifest_path, answers_path);
    if (sweep) {
      const std::string json = anneal::check::run_sweep(20, !sweep_attention_only, true);
      if (!sweep_json_path.empty()) std::ofstream(sweep_json_path) << json << "\n";
    }
    if (bench_seconds > 0) {
      const std::string json = anneal::check::run_benchmarks(bench_seconds);
      if (!json_path.empty()) std::ofstream(json_path) << json << "\n";
      std::cout << json << std::endl;
    }
  } catch (const std::exception& e) {
    std::fprintf(stderr, "anneal-cuda-check: %s\n", e.what());
    return 1;
  }
  if (failed > 0) std::printf("%d check(s) failed\n", failed);
  return failed > 0 ? 1 : 0;
}
