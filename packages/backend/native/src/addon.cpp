// The native addon's entry point: each concern registers its own bindings (addon_model.cpp,
// addon_trainer.cpp, addon_kernels.cpp, and the CUDA kernels' test hooks in CUDA builds). Heavy work
// runs on libuv's worker threads through one generic worker (addon_worker.h).
#include <napi.h>

#include "addon_worker.h"

#ifdef ANNEAL_WITH_CUDA
#include "addon_cuda.h"
#endif

static Napi::Object InitAddon(Napi::Env env, Napi::Object exports) {
  anneal::register_model_bindings(env, exports);
  anneal::register_trainer_bindings(env, exports);
  anneal::register_kernel_bindings(env, exports);
#ifdef ANNEAL_WITH_CUDA
  exports.Set("cudaKernels", anneal::cuda_kernel_bindings(env));
#endif
  return exports;
}

NODE_API_MODULE(anneal, InitAddon)
