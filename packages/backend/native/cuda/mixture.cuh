// The device operations LLaDA-MoE adds to a block: per-head RMS norms on q and k, and the weighted
// scattering that adds each expert's outputs back to the rows routed to it (ops.cuh gathers them).
#pragma once

#include "common.cuh"

namespace anneal::cuda {

// In place: each of `heads` head_dim-value heads of each row (rows `ld` apart, heads from x's start)
// becomes head / sqrt(mean(head²) + eps) · weight.
void head_rms_norm(float* x, int ld, int rows, int heads, int head_dim, const float* weight, float eps,
                   cudaStream_t stream);

// x[rows[i]][:] += weights[i] · y[i][:]; each row of x at most once per call, so no two threads meet.
void add_weighted_rows(const float* y, const int32_t* rows, const float* weights, float* x, int count, int dim,
                       cudaStream_t stream);

}  // namespace anneal::cuda
