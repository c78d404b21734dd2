// Node-API bindings. Heavy work (loading, forward passes) runs on libuv's worker threads and
// resolves a Promise; C++ exceptions become JavaScript errors, never a crash.
#include <napi.h>

#include <chrono>
#include <functional>
#include <memory>
#include <thread>

#include "js_values.h"
#include "model.h"
#include "trainer.h"

#ifdef ANNEAL_WITH_CUDA
#include "../cuda/cuda_engine.h"
#include "addon_cuda.h"
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

class ForwardWorker : public Napi::AsyncWorker {
 public:
  ForwardWorker(Napi::Env env, std::shared_ptr<Engine> model, std::vector<SequenceInput> batch)
      : Napi::AsyncWorker(env), deferred_(Napi::Promise::Deferred::New(env)), model_(std::move(model)),
        batch_(std::move(batch)) {}
  Napi::Promise Promise() { return deferred_.Promise(); }

  void Execute() override {
    try {
      outputs_ = model_->forward(batch_);
    } catch (const std::exception& e) {
      SetError(e.what());
    }
  }
  void OnOK() override {
    Napi::Env env = Env();
    Napi::Array results = Napi::Array::New(env, outputs_.size());
    for (size_t i = 0; i < outputs_.size(); ++i) {  // guidance twins were appended after these
      Napi::Object r = stats_to_js(env, outputs_[i].stats);
      if (batch_[i].want_logits) r.Set("logits", to_js(env, outputs_[i].logits));
      results[i] = r;
    }
    deferred_.Resolve(results);
  }
  void OnError(const Napi::Error& e) override { deferred_.Reject(e.Value()); }

 private:
  Napi::Promise::Deferred deferred_;
  std::shared_ptr<Engine> model_;
  std::vector<SequenceInput> batch_;
  std::vector<SequenceOutput> outputs_;
};

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

  // forward([{ tokens, rowBegin, rowEnd, attendLength, cache?, statRows, wantLogits?, sampling?, step? }])
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
        s.stat_rows = get_int32s(o.Get("statRows"), "statRows");
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
    auto* worker = new ForwardWorker(env, model, std::move(batch));
    Napi::Promise promise = worker->Promise();
    worker->Queue();
    return promise;
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
    return out;
  }
};
Napi::FunctionReference ModelHandle::constructor;

// Runs an engine factory on a worker thread and resolves with a Model handle.
class LoadWorker : public Napi::AsyncWorker {
 public:
  LoadWorker(Napi::Env env, std::function<std::shared_ptr<Engine>()> make)
      : Napi::AsyncWorker(env), deferred_(Napi::Promise::Deferred::New(env)), make_(std::move(make)) {}
  Napi::Promise Promise() { return deferred_.Promise(); }
  void Execute() override {
    try {
      model_ = make_();
    } catch (const std::exception& e) {
      SetError(e.what());
    }
  }
  void OnOK() override {
    Napi::Object handle = ModelHandle::constructor.New({});
    ModelHandle::Unwrap(handle)->model = model_;
    deferred_.Resolve(handle);
  }
  void OnError(const Napi::Error& e) override { deferred_.Reject(e.Value()); }

 private:
  Napi::Promise::Deferred deferred_;
  std::function<std::shared_ptr<Engine>()> make_;
  std::shared_ptr<Engine> model_;
};

// Which engine a load asks for: "cpu", "cuda", or "auto" (CUDA when a capable GPU answers, else CPU).
struct DeviceChoice {
  std::string device = "cpu";
  std::string gemm;  // "wmma" or "cublas"; empty: the build's default
};

DeviceChoice read_device_choice(const Napi::Value& v) {
  DeviceChoice choice;
  if (!v.IsObject()) return choice;
  Napi::Object o = v.As<Napi::Object>();
  if (o.Get("device").IsString()) choice.device = o.Get("device").ToString().Utf8Value();
  if (o.Get("gemm").IsString()) choice.gemm = o.Get("gemm").ToString().Utf8Value();
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
  auto* worker = new LoadWorker(env, [=]() -> std::shared_ptr<Engine> {
#ifdef ANNEAL_WITH_CUDA
    if (choice.device == "cuda" || (choice.device == "auto" && cuda_usable())) {
      return cuda::load_engine(config, *files, *tensors, cuda_options(choice));
    }
#else
    if (choice.device == "cuda") {
      throw std::runtime_error("this build of the engine has no CUDA kernels (no CUDA toolkit was found when it was built)");
    }
#endif
    return std::make_shared<Model>(config, *files, *tensors, threads);
  });
  Napi::Promise promise = worker->Promise();
  worker->Queue();
  return promise;
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
  auto* worker = new LoadWorker(env, [=]() -> std::shared_ptr<Engine> {
#ifdef ANNEAL_WITH_CUDA
    return cuda::random_engine(config, seed, cuda_options(choice));
#else
    (void)seed;
    throw std::runtime_error("this build of the engine has no CUDA kernels (no CUDA toolkit was found when it was built)");
#endif
  });
  Napi::Promise promise = worker->Promise();
  worker->Queue();
  return promise;
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

// ---- Trainer ------------------------------------------------------------------------------------

// Runs `work` on a libuv worker thread; resolves with `done(env)` or rejects with the exception text.
class PromiseWorker : public Napi::AsyncWorker {
 public:
  PromiseWorker(Napi::Env env, std::function<void()> work, std::function<Napi::Value(Napi::Env)> done)
      : Napi::AsyncWorker(env), deferred_(Napi::Promise::Deferred::New(env)), work_(std::move(work)), done_(std::move(done)) {}
  Napi::Promise Promise() { return deferred_.Promise(); }
  void Execute() override {
    try {
      work_();
    } catch (const std::exception& e) {
      SetError(e.what());
    }
  }
  void OnOK() override { deferred_.Resolve(done_(Env())); }
  void OnError(const Napi::Error& e) override { deferred_.Reject(e.Value()); }

 private:
  Napi::Promise::Deferred deferred_;
  std::function<void()> work_;
  std::function<Napi::Value(Napi::Env)> done_;
};

Napi::Promise queue(Napi::Env env, std::function<void()> work, std::function<Napi::Value(Napi::Env)> done) {
  auto* worker = new PromiseWorker(env, std::move(work), std::move(done));
  Napi::Promise promise = worker->Promise();
  worker->Queue();
  return promise;
}

TrainBatch read_batch(const Napi::Value& v) {
  if (!v.IsObject()) throw std::invalid_argument("expected a training batch object");
  Napi::Object o = v.As<Napi::Object>();
  TrainBatch batch;
  batch.batch = get_int(o, "batch");
  batch.length = get_int(o, "length");
  batch.inputs = get_int32s(o.Get("inputs"), "inputs");
  batch.targets = get_int32s(o.Get("targets"), "targets");
  batch.weights = get_floats(o.Get("weights"), "weights");
  return batch;
}

Napi::Object result_to_js(Napi::Env env, const TrainResult& r) {
  Napi::Object out = Napi::Object::New(env);
  out.Set("loss", r.loss);
  out.Set("counted", static_cast<double>(r.counted));
  out.Set("correct", static_cast<double>(r.correct));
  out.Set("gradNorm", r.grad_norm);
  return out;
}

std::vector<float>& tensor_part(TrainTensor& t, const std::string& part) {
  if (part == "value") return t.value;
  if (part == "grad") return t.grad;
  if (part == "m") return t.m;
  if (part == "v") return t.v;
  throw std::invalid_argument("tensor part must be value, grad, m or v");
}

class TrainerHandle : public Napi::ObjectWrap<TrainerHandle> {
 public:
  static Napi::FunctionReference constructor;
  static void Init(Napi::Env env) {
    Napi::Function fn = DefineClass(env, "Trainer",
                                    {InstanceMethod<&TrainerHandle::Step>("step"),
                                     InstanceMethod<&TrainerHandle::Gradients>("gradients"),
                                     InstanceMethod<&TrainerHandle::Evaluate>("evaluate"),
                                     InstanceMethod<&TrainerHandle::Keys>("keys"),
                                     InstanceMethod<&TrainerHandle::Get>("get"),
                                     InstanceMethod<&TrainerHandle::Set>("set"),
                                     InstanceAccessor<&TrainerHandle::GetStep, &TrainerHandle::SetStep>("stepCount")});
    constructor = Napi::Persistent(fn);
  }
  explicit TrainerHandle(const Napi::CallbackInfo& info) : Napi::ObjectWrap<TrainerHandle>(info) {}
  std::shared_ptr<Trainer> trainer;

  // step(batch, { lr, beta1, beta2, eps, weightDecay, clip }) -> Promise<result>
  Napi::Value Step(const Napi::CallbackInfo& info) {
    TrainBatch batch = read_batch(info[0]);
    AdamWParams hp;
    if (info[1].IsObject()) {
      Napi::Object o = info[1].As<Napi::Object>();
      hp.lr = static_cast<float>(get_number(o, "lr", hp.lr));
      hp.beta1 = static_cast<float>(get_number(o, "beta1", hp.beta1));
      hp.beta2 = static_cast<float>(get_number(o, "beta2", hp.beta2));
      hp.eps = static_cast<float>(get_number(o, "eps", hp.eps));
      hp.weight_decay = static_cast<float>(get_number(o, "weightDecay", hp.weight_decay));
      hp.clip = static_cast<float>(get_number(o, "clip", hp.clip));
    }
    auto trainer = this->trainer;
    auto result = std::make_shared<TrainResult>();
    return queue(
        info.Env(),
        [trainer, batch = std::move(batch), hp, result] {
          std::lock_guard<std::mutex> lock(trainer->mutex);
          *result = trainer->step(batch, hp);
        },
        [result](Napi::Env env) { return result_to_js(env, *result); });
  }

  Napi::Value Gradients(const Napi::CallbackInfo& info) { return run(info, true); }
  Napi::Value Evaluate(const Napi::CallbackInfo& info) { return run(info, false); }

  Napi::Value Keys(const Napi::CallbackInfo& info) {
    Napi::Array keys = Napi::Array::New(info.Env());
    uint32_t i = 0;
    for (const TrainTensor& t : trainer->tensors()) keys[i++] = Napi::String::New(info.Env(), t.key);
    return keys;
  }

  // get(key, part = "value") -> Float32Array copy
  Napi::Value Get(const Napi::CallbackInfo& info) {
    std::lock_guard<std::mutex> lock(trainer->mutex);
    TrainTensor& t = trainer->tensor(info[0].ToString().Utf8Value());
    return to_js(info.Env(), tensor_part(t, info[1].IsString() ? info[1].As<Napi::String>().Utf8Value() : "value"));
  }

  // set(key, part, Float32Array)
  Napi::Value Set(const Napi::CallbackInfo& info) {
    std::lock_guard<std::mutex> lock(trainer->mutex);
    TrainTensor& t = trainer->tensor(info[0].ToString().Utf8Value());
    std::vector<float>& target = tensor_part(t, info[1].ToString().Utf8Value());
    std::vector<float> values = get_floats(info[2], "values");
    if (values.size() != target.size()) throw std::invalid_argument(t.key + ": expected " + std::to_string(target.size()) + " values");
    target = std::move(values);
    return info.Env().Undefined();
  }

  Napi::Value GetStep(const Napi::CallbackInfo& info) { return Napi::Number::New(info.Env(), static_cast<double>(trainer->step_count)); }
  void SetStep(const Napi::CallbackInfo&, const Napi::Value& value) { trainer->step_count = value.As<Napi::Number>().Int64Value(); }

 private:
  Napi::Value run(const Napi::CallbackInfo& info, bool backward) {
    TrainBatch batch = read_batch(info[0]);
    auto trainer = this->trainer;
    auto result = std::make_shared<TrainResult>();
    return queue(
        info.Env(),
        [trainer, batch = std::move(batch), backward, result] {
          std::lock_guard<std::mutex> lock(trainer->mutex);
          *result = backward ? trainer->gradients(batch) : trainer->evaluate(batch);
        },
        [result](Napi::Env env) { return result_to_js(env, *result); });
  }
};
Napi::FunctionReference TrainerHandle::constructor;

// createTrainer(config, init: { seed } | { files, tensors }, threads) -> Promise<Trainer>
Napi::Value CreateTrainer(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!info[0].IsObject() || !info[1].IsObject()) throw Napi::TypeError::New(env, "createTrainer(config, init, threads)");
  ModelConfig config = read_config(info[0].As<Napi::Object>());
  Napi::Object init = info[1].As<Napi::Object>();
  const size_t threads = info[2].IsNumber() ? info[2].As<Napi::Number>().Uint32Value() : 0;
  auto holder = std::make_shared<std::shared_ptr<Trainer>>();
  std::function<void()> work;
  if (init.Has("files")) {
    auto files = std::make_shared<std::vector<std::string>>();
    auto tensors = std::make_shared<std::map<std::string, TensorSource>>();
    read_sources(init.Get("files"), init.Get("tensors"), *files, *tensors);
    work = [holder, config, files, tensors, threads] { *holder = std::make_shared<Trainer>(config, *files, *tensors, threads); };
  } else {
    const uint64_t seed = static_cast<uint64_t>(get_number(init, "seed", 0));
    work = [holder, config, seed, threads] { *holder = std::make_shared<Trainer>(config, seed, threads); };
  }
  return queue(env, work, [holder](Napi::Env) {
    Napi::Object handle = TrainerHandle::constructor.New({});
    TrainerHandle::Unwrap(handle)->trainer = *holder;
    return static_cast<Napi::Value>(handle);
  });
}

// ---- kernel hooks for tests and benchmarks -------------------------------------------------------

const Kernels& kernels_named(const Napi::Value& v) {
  const std::string name = v.IsString() ? v.As<Napi::String>().Utf8Value() : "best";
  return name == "best" ? best_kernels() : kernels_by_name(name.c_str());
}

ThreadPool& shared_pool() {
  static ThreadPool pool(0);
  return pool;
}

// y = x · Wᵀ (+ bias) for the gemm hooks: W arrives as info[2] (n × k), packed by `pack`; the kernel
// choice is info[kernels_arg].
template <class Pack>
static Napi::Value run_gemm(const Napi::CallbackInfo& info, const char* name, int kernels_arg, const Pack& pack) {
  try {
    std::vector<float> x = get_floats(info[0], "x");
    const int rows = info[1].As<Napi::Number>().Int32Value(), n = info[3].As<Napi::Number>().Int32Value();
    const int k = info[4].As<Napi::Number>().Int32Value();
    const PackedWeight packed = pack(n, k);
    if (x.size() != static_cast<size_t>(rows) * k) throw std::invalid_argument(std::string(name) + ": sizes do not match");
    std::vector<float> bias;
    if (info[5].IsTypedArray()) bias = get_floats(info[5], "bias");
    const Context ctx{kernels_named(info[kernels_arg]), shared_pool()};
    std::vector<float> y(static_cast<size_t>(rows) * n);
    gemm(ctx, x.data(), rows, packed, bias.empty() ? nullptr : bias.data(), y.data(), false);
    return to_js(info.Env(), y);
  } catch (const std::exception& e) {
    throw Napi::Error::New(info.Env(), e.what());
  }
}

static void check_weight_size(size_t size, int n, int k, const char* name) {
  if (size != static_cast<size_t>(n) * k) throw std::invalid_argument(std::string(name) + ": sizes do not match");
}

// gemm(x, rows, w, n, k, bias|null, kernels) -> y  (w is W[n][k])
Napi::Value KernelGemm(const Napi::CallbackInfo& info) {
  return run_gemm(info, "gemm", 6, [&](int n, int k) {
    const std::vector<float> w = get_floats(info[2], "w");
    check_weight_size(w.size(), n, k, "gemm");
    return pack_weight(w.data(), n, k);
  });
}

// gemm16(x, rows, w, n, k, bias|null, "bf16"|"f16", kernels) -> y  (w is W[n][k] as 16-bit patterns)
Napi::Value KernelGemm16(const Napi::CallbackInfo& info) {
  return run_gemm(info, "gemm16", 7, [&](int n, int k) {
    const std::vector<uint16_t> w = get_u16(info[2], "w");
    check_weight_size(w.size(), n, k, "gemm16");
    const std::string dtype = info[6].IsString() ? info[6].As<Napi::String>().Utf8Value() : "";
    if (dtype != "bf16" && dtype != "f16") throw std::invalid_argument("gemm16: dtype must be bf16 or f16");
    return pack_weight_16(w.data(), n, k, dtype == "bf16" ? DType::BF16 : DType::F16);
  });
}

// rmsNorm(x, weight, rows, dim, eps, kernels) -> y
Napi::Value KernelRmsNorm(const Napi::CallbackInfo& info) {
  try {
    std::vector<float> x = get_floats(info[0], "x"), w = get_floats(info[1], "weight");
    const int rows = info[2].As<Napi::Number>().Int32Value(), dim = info[3].As<Napi::Number>().Int32Value();
    if (x.size() != static_cast<size_t>(rows) * dim || w.size() != static_cast<size_t>(dim)) throw std::invalid_argument("rmsNorm: sizes do not match");
    std::vector<float> y(x.size());
    rms_norm(Context{kernels_named(info[5]), shared_pool()}, x.data(), w.data(), y.data(), rows, dim,
             static_cast<float>(info[4].As<Napi::Number>().DoubleValue()));
    return to_js(info.Env(), y);
  } catch (const std::exception& e) {
    throw Napi::Error::New(info.Env(), e.what());
  }
}

// rope(x, positions, heads, headDim, theta) -> rotated copy of x
Napi::Value KernelRope(const Napi::CallbackInfo& info) {
  try {
    std::vector<float> x = get_floats(info[0], "x");
    std::vector<int32_t> positions = get_int32s(info[1], "positions");
    const int heads = info[2].As<Napi::Number>().Int32Value(), head_dim = info[3].As<Napi::Number>().Int32Value();
    if (x.size() != positions.size() * heads * head_dim) throw std::invalid_argument("rope: sizes do not match");
    rope(Context{best_kernels(), shared_pool()}, x.data(), positions.data(), static_cast<int>(positions.size()), heads,
         head_dim, static_cast<float>(info[4].As<Napi::Number>().DoubleValue()));
    return to_js(info.Env(), x);
  } catch (const std::exception& e) {
    throw Napi::Error::New(info.Env(), e.what());
  }
}

// attention(q, rows, keys, values, length, heads, kvHeads, headDim, kernels) -> out
Napi::Value KernelAttention(const Napi::CallbackInfo& info) {
  try {
    std::vector<float> q = get_floats(info[0], "q"), keys = get_floats(info[2], "keys"), values = get_floats(info[3], "values");
    const int rows = info[1].As<Napi::Number>().Int32Value(), length = info[4].As<Napi::Number>().Int32Value();
    const int heads = info[5].As<Napi::Number>().Int32Value(), kv_heads = info[6].As<Napi::Number>().Int32Value();
    const int head_dim = info[7].As<Napi::Number>().Int32Value();
    if (heads % kv_heads != 0 || q.size() != static_cast<size_t>(rows) * heads * head_dim ||
        keys.size() != static_cast<size_t>(length) * kv_heads * head_dim || values.size() != keys.size()) {
      throw std::invalid_argument("attention: sizes do not match");
    }
    std::vector<float> out(q.size());
    attention(Context{kernels_named(info[8]), shared_pool()}, q.data(), rows, keys.data(), values.data(), length, heads,
              kv_heads, head_dim, out.data());
    return to_js(info.Env(), out);
  } catch (const std::exception& e) {
    throw Napi::Error::New(info.Env(), e.what());
  }
}

// rowStats(logits, sampling, position, step) -> stats of one row
Napi::Value KernelRowStats(const Napi::CallbackInfo& info) {
  try {
    std::vector<float> logits = get_floats(info[0], "logits");
    if (logits.empty()) throw std::invalid_argument("rowStats: empty row");
    SamplingParams sampling = info[1].IsObject() ? read_sampling(info[1].As<Napi::Object>()) : SamplingParams{};
    RowStats s = row_stats(logits.data(), static_cast<int>(logits.size()), sampling,
                           static_cast<uint64_t>(info[2].As<Napi::Number>().Int64Value()),
                           static_cast<uint64_t>(info[3].As<Napi::Number>().Int64Value()));
    Napi::Object out = Napi::Object::New(info.Env());
    out.Set("argmax", s.argmax);
    out.Set("confidence", s.confidence);
    out.Set("margin", s.margin);
    out.Set("entropy", s.entropy);
    out.Set("sample", s.sample);
    out.Set("sampleProb", s.sample_prob);
    return out;
  } catch (const std::exception& e) {
    throw Napi::Error::New(info.Env(), e.what());
  }
}

// benchGemm(rows, n, k, threads, milliseconds, kernels) -> GFLOP/s of y = x · Wᵀ
Napi::Value BenchGemm(const Napi::CallbackInfo& info) {
  const int rows = info[0].As<Napi::Number>().Int32Value(), n = info[1].As<Napi::Number>().Int32Value();
  const int k = info[2].As<Napi::Number>().Int32Value();
  ThreadPool pool(info[3].As<Napi::Number>().Uint32Value());
  const double budget = info[4].As<Napi::Number>().DoubleValue() / 1000.0;
  std::vector<float> x(static_cast<size_t>(rows) * k, 0.5f), w(static_cast<size_t>(n) * k, 0.25f), y(static_cast<size_t>(rows) * n);
  PackedWeight packed = pack_weight(w.data(), n, k);
  const Context ctx{kernels_named(info[5]), pool};
  gemm(ctx, x.data(), rows, packed, nullptr, y.data(), false);  // warm up
  auto start = std::chrono::steady_clock::now();
  double elapsed = 0;
  int64_t runs = 0;
  do {
    gemm(ctx, x.data(), rows, packed, nullptr, y.data(), false);
    ++runs;
    elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  } while (elapsed < budget);
  return Napi::Number::New(info.Env(), 2.0 * rows * n * k * runs / elapsed / 1e9);
}

// benchPeakFma(threads, milliseconds, kernels) -> GFLOP/s of a register-only FMA loop on each thread
Napi::Value BenchPeakFma(const Napi::CallbackInfo& info) {
  const unsigned threads = std::max(1u, info[0].As<Napi::Number>().Uint32Value());
  const double budget = info[1].As<Napi::Number>().DoubleValue() / 1000.0;
  const Kernels& kernels = kernels_named(info[2]);
  const int64_t chunk = 1 << 20;
  std::vector<double> rates(threads);
  std::vector<std::thread> workers;
  for (unsigned t = 0; t < threads; ++t) {
    workers.emplace_back([&, t] {
      volatile float sink = 0;
      auto start = std::chrono::steady_clock::now();
      double elapsed = 0;
      int64_t rounds = 0;
      do {
        sink = sink + kernels.fma_loop(chunk);
        rounds += chunk;
        elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
      } while (elapsed < budget);
      rates[t] = static_cast<double>(rounds) * kernels.fma_loop_flops / elapsed / 1e9;
    });
  }
  for (auto& w : workers) w.join();
  double total = 0;
  for (double r : rates) total += r;
  return Napi::Number::New(info.Env(), total);
}

Napi::Value CpuInfo(const Napi::CallbackInfo& info) {
  Napi::Object out = Napi::Object::New(info.Env());
  out.Set("avx2", cpu_has_avx2_fma());
  out.Set("avx512", cpu_has_avx512());
  out.Set("kernels", best_kernels().name);
  out.Set("hardwareThreads", static_cast<double>(std::thread::hardware_concurrency()));
  return out;
}

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  CacheHandle::Init(env);
  ModelHandle::Init(env);
  TrainerHandle::Init(env);
  exports.Set("loadModel", Napi::Function::New(env, LoadModel));
  exports.Set("createTrainer", Napi::Function::New(env, CreateTrainer));
  exports.Set("cpuInfo", Napi::Function::New(env, CpuInfo));
  exports.Set("cudaInfo", Napi::Function::New(env, CudaInfo));
  exports.Set("createRandomModel", Napi::Function::New(env, CreateRandomModel));
#ifdef ANNEAL_WITH_CUDA
  exports.Set("cudaKernels", cuda_kernel_bindings(env));
#endif
  Napi::Object kernels = Napi::Object::New(env);
  kernels.Set("gemm", Napi::Function::New(env, KernelGemm));
  kernels.Set("gemm16", Napi::Function::New(env, KernelGemm16));
  kernels.Set("rmsNorm", Napi::Function::New(env, KernelRmsNorm));
  kernels.Set("rope", Napi::Function::New(env, KernelRope));
  kernels.Set("attention", Napi::Function::New(env, KernelAttention));
  kernels.Set("rowStats", Napi::Function::New(env, KernelRowStats));
  kernels.Set("benchGemm", Napi::Function::New(env, BenchGemm));
  kernels.Set("benchPeakFma", Napi::Function::New(env, BenchPeakFma));
  exports.Set("kernels", kernels);
  return exports;
}

}  // namespace
}  // namespace anneal

static Napi::Object InitAddon(Napi::Env env, Napi::Object exports) { return anneal::Init(env, exports); }

NODE_API_MODULE(anneal, InitAddon)
