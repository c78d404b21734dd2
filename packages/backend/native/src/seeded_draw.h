// The counter-based hash behind every seeded draw, shared by the CPU engine (ops.cpp) and the CUDA
// kernels (cuda/stats.cu), so that a seed draws the same token on either device: each token's
// uniform number depends only on (seed, position, step, token), never on threads or batch layout.
#pragma once

#include <cstdint>

#ifdef __CUDACC__
#define ANNEAL_HOST_DEVICE __host__ __device__
#else
#define ANNEAL_HOST_DEVICE
#endif

namespace anneal {

// SplitMix64's finaliser: a bijective mix of all 64 bits.
ANNEAL_HOST_DEVICE inline uint64_t mix64(uint64_t z) {
  z += 0x9E3779B97F4A7C15ull;
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

// The key of one row's draw.
ANNEAL_HOST_DEVICE inline uint64_t draw_key(uint64_t seed, uint64_t position, uint64_t step) {
  return mix64(seed ^ mix64(position * 0x632BE59BD9B4E019ull ^ mix64(step + 1)));
}

// Token `token`'s uniform number in (0, 1) under `key` (53 random bits, never 0 or 1).
ANNEAL_HOST_DEVICE inline double token_uniform(uint64_t key, int32_t token) {
  const uint64_t bits = mix64(key ^ static_cast<uint64_t>(token) * 0xD1B54A32D192ED03ull);
  return (static_cast<double>(bits >> 11) + 0.5) * (1.0 / 9007199254740992.0);
}

}  // namespace anneal
