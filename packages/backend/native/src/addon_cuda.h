// The CUDA kernels' test bindings (`cudaKernels`): each kernel on host arrays, synchronously, so
// tests can hold it to its CPU twin. Only in builds with ANNEAL_WITH_CUDA.
#pragma once

#include <napi.h>

namespace anneal {

Napi::Object cuda_kernel_bindings(Napi::Env env);

}  // namespace anneal
