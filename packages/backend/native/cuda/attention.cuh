// What attention.cu (the scalar kernel, the merge of key splits, the dispatch) and
// attention_wmma.cu (the tensor-core kernel) share.
#pragma once

#include "common.cuh"

namespace anneal::cuda {

bool attention_wmma_supports(int head_dim);
int attention_wmma_rows_per_block();

// `partial` (used when splits > 1): [splits][rows][heads][2 + head_dim] as (max, sum, unnormalised
// output) per key range, merged by attention.cu.
void launch_attention_wmma(const float* q, int ldq, const bf16* keys, const bf16* values, bf16* out, float* partial,
                           int rows, int length, int heads, int kv_heads, int head_dim, int chunk, int splits,
                           cudaStream_t stream);

}  // namespace anneal::cuda
