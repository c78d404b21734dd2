// Node-API bindings of the forward engines: loadModel (CPU or CUDA), createRandomModel (CUDA),
// cudaInfo, and the Model and KvCache handles they hand out.
#include <napi.h>

#include <functional>
#include <memory>

#include "addon_worker.h"
#include "js_values.h"
#include "model.h"

#ifdef ANNEAL_WITH_CUDA
#include "../cuda/cuda_engine.h"
#endif

namespace anneal {
namespace {

// ---- KV cache handle ----------------------------------------------------------------------------

class CacheHandle : public Napi::ObjectWrap<CacheHandle> {
 public:
  static Napi::FunctionReference constructor;
  static void Init(Napi::Env env) {
    Napi::Function fn = DefineClass(env, "KvCache", {InstanceAccessor<&CacheHandle::Capacity>("capacity")});
    constructor = Napi::Persistent(fn);
  }
  explicit CacheHandle(const Napi::CallbackInfo& info) : Napi::ObjectWrap<CacheHandle>(info) {}
  Napi::Value Capacity(const Napi::CallbackInfo& info) { return Napi::Number::New(info.Env(), cache ? cache->capacity : 0); }
  std::shared_ptr<KvCache> cache;
};
Napi::FunctionReference CacheHandle::constructor;

// ---- Model --------------------------------------------------------------------------------------

class ModelHandle : public Napi::ObjectWrap<ModelHandle> {
 public:
  static Napi::FunctionReference constructor;
  static void Init(Napi::Env env) {
    Napi::Function fn = DefineClass(env, "Model",
                                    {InstanceMethod<&ModelHandle::Forward>("forward"),
                                     InstanceMethod<&ModelHandle::CreateCache>("createCache"),
                                     InstanceMethod<&ModelHandle::Info>("info")});
    constructor = Napi::Persistent(fn);
  }
  explicit ModelHandle(const Napi::CallbackInfo& info) : Napi::ObjectWrap<ModelHandle>(info) {}
  std::shared_ptr<Engine> model;

  // forward([{ tokens, rowBegin, rowEnd, attendLength, blockSize?, cache?, statRows, wantLogits?, sampling?, step? }])
  Napi::Value Forward(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    if (!info[0].IsArray()) throw Napi::TypeError::New(env, "forward expects an array of sequences");
    Napi::Array list = info[0].As<Napi::Array>();
    std::vector<SequenceInput> batch;
    try {
      for (uint32_t i = 0; i < list.Length(); ++i) {
        Napi::Value item = list[i];
        if (!item.IsObject()) throw std::invalid_argument("each sequence must be an object");
        Napi::Object o = item.As<Napi::Object>();
        SequenceInput s;
        s.tokens = get_int32s(o.Get("tokens"), "tokens");
        const int length = static_cast<int>(s.tokens.size());
        s.row_begin = static_cast<int>(get_number(o, "rowBegin", 0));
        s.row_end = static_cast<int>(get_number(o, "rowEnd", length));
        s.attend_length = static_cast<int>(get_number(o, "attendLength", s.row_end));
        s.block_size = static_cast<int>(get_number(o, "blockSize", 0));
        s.stat_rows = get_int32s(o.Get("statRows"), "statRows");
        if (!o.Get("statMasks").IsUndefined()) {
          s.stat_mask = get_int32s(o.Get("statMasks"), "statMasks");
          s.allowed = get_bytes(o.Get("allowed"), "allowed");
        }
        s.want_logits = get_bool(o, "wantLogits");
        s.step = static_cast<uint64_t>(get_number(o, "step", 0));
        if (o.Get("sampling").IsObject()) s.sampling = read_sampling(o.Get("sampling").As<Napi::Object>());
        s.guidance = static_cast<float>(get_number(o, "guidance", 0));
        if (s.guidance > 0) s.unconditional = get_int32s(o.Get("unconditional"), "unconditional");
        Napi::Value cache = o.Get("cache");
        if (cache.IsObject() && cache.As<Napi::Object>().InstanceOf(CacheHandle::constructor.Value())) {
          s.cache = CacheHandle::Unwrap(cache.As<Napi::Object>())->cache;
        } else if (!cache.IsUndefined() && !cache.IsNull()) {
          throw std::invalid_argument("cache must come from model.createCache()");
        }
        batch.push_back(std::move(s));
      }
    } catch (const std::exception& e) {
      throw Napi::TypeError::New(env, e.what());
    }
    struct Pass {
      std::vector<SequenceInput> batch;
      std::vector<SequenceOutput> outputs;
    };
    auto pass = std::make_shared<Pass>();
    pass->batch = std::move(batch);
    auto engine = model;
    return queue(
        env, [engine, pass] { pass->outputs = engine->forward(pass->batch); },
        [pass](Napi::Env env) -> Napi::Value {
          Napi::Array results = Napi::Array::New(env, pass->outputs.size());
          for (size_t i = 0; i < pass->outputs.size(); ++i) {  // guidance twins were appended after these
            Napi::Object r = stats_to_js(env, pass->outputs[i].stats);
            if (pass->batch[i].want_logits) r.Set("logits", to_js(env, pass->outputs[i].logits));
            results[i] = r;
          }
          return results;
        });
  }

  Napi::Value CreateCache(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    if (!info[0].IsNumber() || info[0].As<Napi::Number>().Int32Value() <= 0) {
      throw Napi::TypeError::New(env, "createCache expects a positive capacity");
    }
    Napi::Object handle = CacheHandle::constructor.New({});
    try {
      CacheHandle::Unwrap(handle)->cache = model->create_cache(info[0].As<Napi::Number>().Int32Value());
    } catch (const std::exception& e) {
      throw Napi::Error::New(env, e.what());  // e.g. the device is out of memory
    }
    return handle;
  }

  Napi::Value Info(const Napi::CallbackInfo& info) {
    Napi::Object out = Napi::Object::New(info.Env());
    out.Set("kernels", model->kernels_name());
    out.Set("device", model->device());
    out.Set("threads", static_cast<double>(model->threads()));
    out.Set("parameters", static_cast<double>(model->parameter_count()));
    if (const auto* cpu = dynamic_cast<const Model*>(model.get())) {
      out.Set("weights", cpu->weight_format());
      out.Set("weightBytes", static_cast<double>(cpu->weight_bytes()));
      out.Set("int8", cpu->int8_kernels());
      out.Set("bf16", cpu->bf16_products());
    }
    return out;
  }
};
Napi::FunctionReference ModelHandle::constructor;

// Runs an engine factory on a worker thread and resolves with a Model handle.
Napi::Promise load_engine(Napi::Env env, std::function<std::shared_ptr<Engine>()> make) {
  auto made = std::make_shared<std::shared_ptr<Engine>>();
  return queue(
      env, [made, make = std::move(make)] { *made = make(); },
      [made](Napi::Env) -> Napi::Value {
        Napi::Object handle = ModelHandle::constructor.New({});
        ModelHandle::Unwrap(handle)->model = *made;
        return handle;
      });
}
// Which engine a load asks for: "cpu", "cuda", or "auto" (CUDA when a capable GPU answers, else CPU).
struct DeviceChoice {
  std::string device = "cpu";
  std::string gemm;  // "wmma" or "cublas"; empty: the build's default
  QuantizeChoice quantize = QuantizeChoice::None;  // the CPU engine's quantize-at-load
  bool bf16_dot = true;  // the CPU engine's BF16 products: the dot-product instruction where present
};

DeviceChoice read_device_choice(const Napi::Value& v) {
  DeviceChoice choice;
  if (!v.IsObject()) return choice;
  Napi::Object o = v.As<Napi::Object>();
  if (o.Get("device").IsString()) choice.device = o.Get("device").ToString().Utf8Value();
  if (o.Get("gemm").IsString()) choice.gemm = o.Get("gemm").ToString().Utf8Value();
  if (o.Get("quantize").IsString()) choice.quantize = parse_quantize_choice(o.Get("quantize").ToString().Utf8Value());
  if (o.Get("bf16").IsString()) {
    const std::string bf16 = o.Get("bf16").ToString().Utf8Value();
    if (bf16 != "dot" && bf16 != "widen") throw std::invalid_argument("bf16 must be \"dot\" or \"widen\" (got \"" + bf16 + "\")");
    choice.bf16_dot = bf16 == "dot";
  }
  if (choice.device != "cpu" && choice.device != "cuda" && choice.device != "auto") {
    throw std::invalid_argument("device must be \"cpu\", \"cuda\" or \"auto\" (got \"" + choice.device + "\")");
  }
  if (!choice.gemm.empty() && choice.gemm != "wmma" && choice.gemm != "cublas") {
    throw std::invalid_argument("gemm must be \"wmma\" or \"cublas\" (got \"" + choice.gemm + "\")");
  }
  return choice;
}

#ifdef ANNEAL_WITH_CUDA
cuda::EngineOptions cuda_options(const DeviceChoice& choice) {
  cuda::EngineOptions options;
  if (choice.gemm == "wmma") options.gemm = cuda::GemmBackend::Wmma;
  if (choice.gemm == "cublas") options.gemm = cuda::GemmBackend::Cublas;
  return options;
}
bool cuda_usable() {
  const cuda::DeviceProbe found = cuda::probe();
  return found.count > 0 && found.compute_capability >= 80;
}
#endif

// loadModel(config, files, tensors: { key: { name, file, offset, dtype, shape } }, threads, { device, gemm })
Napi::Value LoadModel(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!info[0].IsObject() || !info[1].IsArray() || !info[2].IsObject()) {
    throw Napi::TypeError::New(env, "loadModel(config, files, tensors, threads, options)");
  }
  ModelConfig config;
  auto files = std::make_shared<std::vector<std::string>>();
  auto tensors = std::make_shared<std::map<std::string, TensorSource>>();
  DeviceChoice choice;
  try {
    config = read_config(info[0].As<Napi::Object>());
    read_sources(info[1], info[2], *files, *tensors);
    choice = read_device_choice(info[4]);
  } catch (const std::exception& e) {
    throw Napi::TypeError::New(env, e.what());
  }
  const size_t threads = info[3].IsNumber() ? info[3].As<Napi::Number>().Uint32Value() : 0;
  return load_engine(env, [=]() -> std::shared_ptr<Engine> {
#ifdef ANNEAL_WITH_CUDA
    // Quantize-at-load is the CPU engine's, so "auto" with it stays on the CPU; so does a mixture of
    // experts until the CUDA engine's (cuda/mixture.cu) has run against the CPU on a GPU.
    const bool cpu_only = choice.quantize != QuantizeChoice::None || config.experts > 0 || config.qk_norm;
    if (choice.device == "cuda" || (choice.device == "auto" && !cpu_only && cuda_usable())) {
      // The CUDA engine holds BF16 weights (quantized files are dequantized to it); it has no
      // quantized products, so asking it to quantize is refused rather than ignored.
      if (choice.quantize != QuantizeChoice::None) throw std::runtime_error("quantize is for the CPU engine; the CUDA engine runs BF16");
      return cuda::load_engine(config, *files, *tensors, cuda_options(choice));
    }
#else
    if (choice.device == "cuda") {
      throw std::runtime_error("this build of the engine has no CUDA kernels (no CUDA toolkit was found when it was built)");
    }
#endif
    return std::make_shared<Model>(config, *files, *tensors, threads, choice.quantize, choice.bf16_dot);
  });
}


// createRandomModel(config, seed, { gemm }) -> Promise<Model> on the GPU, weights made on the device
Napi::Value CreateRandomModel(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!info[0].IsObject()) throw Napi::TypeError::New(env, "createRandomModel(config, seed, options)");
  ModelConfig config;
  DeviceChoice choice;
  try {
    config = read_config(info[0].As<Napi::Object>());
    choice = read_device_choice(info[2]);
  } catch (const std::exception& e) {
    throw Napi::TypeError::New(env, e.what());
  }
  const uint64_t seed = info[1].IsNumber() ? static_cast<uint64_t>(info[1].As<Napi::Number>().Int64Value()) : 1;
  return load_engine(env, [=]() -> std::shared_ptr<Engine> {
#ifdef ANNEAL_WITH_CUDA
    return cuda::random_engine(config, seed, cuda_options(choice));
#else
    (void)seed;
    throw std::runtime_error("this build of the engine has no CUDA kernels (no CUDA toolkit was found when it was built)");
#endif
  });
}


// cudaInfo() -> { built, cublas, devices, name, computeCapability, memoryGiB, error }. Never throws.
Napi::Value CudaInfo(const Napi::CallbackInfo& info) {
  Napi::Object out = Napi::Object::New(info.Env());
#ifdef ANNEAL_WITH_CUDA
  const cuda::DeviceProbe found = cuda::probe();
  out.Set("built", true);
  out.Set("cublas", cuda::cublas_built());
  out.Set("devices", found.count);
  out.Set("name", found.name);
  out.Set("computeCapability", found.compute_capability);
  out.Set("memoryGiB", found.memory_gib);
  out.Set("error", found.error);
#else
  out.Set("built", false);
  out.Set("cublas", false);
  out.Set("devices", 0);
  out.Set("name", "");
  out.Set("computeCapability", 0);
  out.Set("memoryGiB", 0);
  out.Set("error", "this build has no CUDA kernels");
#endif
  return out;
}

}  // namespace

void register_model_bindings(Napi::Env env, Napi::Object exports) {
  CacheHandle::Init(env);
  ModelHandle::Init(env);
  exports.Set("loadModel", Napi::Function::New(env, LoadModel));
  exports.Set("cudaInfo", Napi::Function::New(env, CudaInfo));
  exports.Set("createRandomModel", Napi::Function::New(env, CreateRandomModel));
}

}  // namespace anneal
