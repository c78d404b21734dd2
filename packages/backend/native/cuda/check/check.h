// anneal-cuda-check: the GPU checks and benchmarks bench/device.sh runs on a machine with a GPU and
// no Node.js. Checks hold every CUDA kernel and whole models to the CPU engine; benchmarks time
// LLaDA-8B-shaped and default-model-shaped forward passes against the hardware's rooflines.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "../cuda_engine.h"

namespace anneal::check {

// One matrix-product implementation the checks and the sweep run: cuBLAS, or a WMMA tile choice.
struct GemmVariant {
  std::string name;
  cuda::GemmBackend backend;
  cuda::WmmaChoice choice;
};

// Runs every check, printing one line each; returns how many failed.
int run_checks();

// Runs the benchmarks and returns them as a JSON object (text).
std::string run_benchmarks(int seconds_per_case);

// Times each GEMM tile shape, pipeline depth and split-K target (and cuBLAS) on LLaDA-8B's matrix
// shapes, and attention at several key splits; prints a table and returns JSON.
std::string run_sweep(int repeats, bool gemms = true, bool attention = true);

// The built-in model end to end (see default_model.cpp): every step of the CPU's greedy answer must
// give the GPU's engines the same tokens but for near-ties; whole answers and their speed are
// reported. Writes the answers' token ids to `answers_path`; returns how many engines failed.
int run_default_model(const std::string& manifest_path, const std::string& answers_path);

// Random weights for `config` written to one raw F32 file, with the tensor map both engines load.
struct RandomWeights {
  std::string file;
  std::map<std::string, TensorSource> tensors;
};
RandomWeights write_random_weights(const ModelConfig& config, uint64_t seed, const std::string& path);

}  // namespace anneal::check
