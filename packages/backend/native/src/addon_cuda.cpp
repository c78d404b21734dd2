// Node-API bindings of the CUDA kernels for tests (see addon_cuda.h). Errors, including a missing
// device, reach JavaScript as exceptions.
#ifdef ANNEAL_WITH_CUDA
#include "addon_cuda.h"

#include "../cuda/cuda_engine.h"
#include "js_values.h"

namespace anneal {

namespace {

int int_arg(const Napi::CallbackInfo& info, size_t i, const char* name) {
  if (!info[i].IsNumber()) throw std::invalid_argument(std::string(name) + " must be a number");
  return info[i].As<Napi::Number>().Int32Value();
}

std::vector<float> optional_floats(const Napi::Value& v, const char* what) {
  return v.IsUndefined() || v.IsNull() ? std::vector<float>{} : get_floats(v, what);
}

template <typename F>
Napi::Function binding(Napi::Env env, F body) {
  return Napi::Function::New(env, [body](const Napi::CallbackInfo& info) -> Napi::Value {
    try {
      return body(info);
    } catch (const std::exception& e) {
      throw Napi::Error::New(info.Env(), e.what());
    }
  });
}

void expect(bool ok, const char* message) {
  if (!ok) throw std::invalid_argument(message);
}

}  // namespace

Napi::Object cuda_kernel_bindings(Napi::Env env) {
  Napi::Object k = Napi::Object::New(env);
  // gemm(x, w, bias | null, yIn | null, m, n, k, accumulate, "wmma" | "cublas") -> y
  k.Set("gemm", binding(env, [](const Napi::CallbackInfo& info) -> Napi::Value {
          const std::vector<float> x = get_floats(info[0], "x"), w = get_floats(info[1], "w");
          const std::vector<float> bias = optional_floats(info[2], "bias"), y_in = optional_floats(info[3], "yIn");
          const int m = int_arg(info, 4, "m"), n = int_arg(info, 5, "n"), kk = int_arg(info, 6, "k");
          expect(x.size() == size_t(m) * kk && w.size() == size_t(n) * kk, "gemm: sizes do not match");
          expect(bias.empty() || bias.size() == size_t(n), "gemm: bias must have n values");
          expect(y_in.empty() || y_in.size() == size_t(m) * n, "gemm: yIn must have m × n values");
          const bool accumulate = info[7].ToBoolean().Value();
          const auto backend = info[8].IsString() && info[8].ToString().Utf8Value() == "cublas" ? cuda::GemmBackend::Cublas
                                                                                               : cuda::GemmBackend::Wmma;
          return to_js(info.Env(), cuda::kernels::gemm(x, w, bias, y_in, m, n, kk, accumulate, backend));
        }));
  // rmsNorm(x, weight, rows, dim, eps) -> y (BF16-rounded)
  k.Set("rmsNorm", binding(env, [](const Napi::CallbackInfo& info) -> Napi::Value {
          const std::vector<float> x = get_floats(info[0], "x"), w = get_floats(info[1], "weight");
          const int rows = int_arg(info, 2, "rows"), dim = int_arg(info, 3, "dim");
          expect(x.size() == size_t(rows) * dim && w.size() == size_t(dim), "rmsNorm: sizes do not match");
          return to_js(info.Env(), cuda::kernels::rms_norm(x, w, rows, dim, static_cast<float>(info[4].ToNumber().DoubleValue())));
        }));
  // rope(x, positions, heads, headDim, theta, rotaryDim?) -> rotated copy
  k.Set("rope", binding(env, [](const Napi::CallbackInfo& info) -> Napi::Value {
          const std::vector<float> x = get_floats(info[0], "x");
          const std::vector<int32_t> positions = get_int32s(info[1], "positions");
          const int heads = int_arg(info, 2, "heads"), head_dim = int_arg(info, 3, "headDim");
          const int rotary_dim = info[5].IsNumber() ? int_arg(info, 5, "rotaryDim") : head_dim;
          expect(x.size() == positions.size() * heads * head_dim, "rope: sizes do not match");
          expect(rotary_dim > 0 && rotary_dim <= head_dim && rotary_dim % 2 == 0, "rope: bad rotary dims");
          return to_js(info.Env(), cuda::kernels::rope(x, positions, static_cast<int>(positions.size()), heads, head_dim,
                                                       rotary_dim, static_cast<float>(info[4].ToNumber().DoubleValue())));
        }));
  // attention(q, rows, keys, values, length, heads, kvHeads, headDim) -> out (BF16-rounded)
  k.Set("attention", binding(env, [](const Napi::CallbackInfo& info) -> Napi::Value {
          const std::vector<float> q = get_floats(info[0], "q"), keys = get_floats(info[2], "keys"),
                                   values = get_floats(info[3], "values");
          const int rows = int_arg(info, 1, "rows"), length = int_arg(info, 4, "length");
          const int heads = int_arg(info, 5, "heads"), kv_heads = int_arg(info, 6, "kvHeads"), head_dim = int_arg(info, 7, "headDim");
          expect(kv_heads > 0 && heads % kv_heads == 0 && q.size() == size_t(rows) * heads * head_dim &&
                     keys.size() == size_t(length) * kv_heads * head_dim && values.size() == keys.size(),
                 "attention: sizes do not match");
          return to_js(info.Env(), cuda::kernels::attention(q, keys, values, rows, length, heads, kv_heads, head_dim));
        }));
  // siluMul(gate, up) -> silu(gate) · up (BF16-rounded)
  k.Set("siluMul", binding(env, [](const Napi::CallbackInfo& info) -> Napi::Value {
          const std::vector<float> gate = get_floats(info[0], "gate"), up = get_floats(info[1], "up");
          expect(gate.size() == up.size(), "siluMul: sizes do not match");
          return to_js(info.Env(), cuda::kernels::silu_mul(gate, up));
        }));
  // rowStats(logits, rows, vocab, sampling, positions: number[], step, allowed?: rows × vocab bytes)
  // -> { argmax, confidence, … } per row
  k.Set("rowStats", binding(env, [](const Napi::CallbackInfo& info) -> Napi::Value {
          const std::vector<float> logits = get_floats(info[0], "logits");
          const int rows = int_arg(info, 1, "rows"), vocab = int_arg(info, 2, "vocab");
          expect(rows > 0 && vocab > 0 && logits.size() == size_t(rows) * vocab, "rowStats: sizes do not match");
          const SamplingParams sampling = info[3].IsObject() ? read_sampling(info[3].As<Napi::Object>()) : SamplingParams{};
          expect(sampling.top_k == 0 && sampling.top_p >= 1.0f, "rowStats: top-k/top-p rows are drawn on the host");
          std::vector<uint64_t> positions(rows, 0);
          if (info[4].IsArray()) {
            Napi::Array list = info[4].As<Napi::Array>();
            for (uint32_t i = 0; i < list.Length() && i < positions.size(); ++i) positions[i] = list.Get(i).ToNumber().Int64Value();
          }
          const uint64_t step = info[5].IsNumber() ? static_cast<uint64_t>(info[5].ToNumber().Int64Value()) : 0;
          std::vector<uint8_t> allowed;
          if (!info[6].IsUndefined()) {
            allowed = get_bytes(info[6], "allowed");
            expect(allowed.size() == size_t(rows) * vocab, "rowStats: allowed must hold one mask of vocab bytes per row");
          }
          return stats_to_js(info.Env(), cuda::kernels::row_stats(logits, rows, vocab, sampling, positions, step, allowed));
        }));
  return k;
}

}  // namespace anneal
#endif
