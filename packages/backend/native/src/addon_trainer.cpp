// Node-API bindings of the trainer: createTrainer and the Trainer handle (steps, gradients,
// evaluation, and reading or writing any tensor and its optimiser state).
#include <napi.h>

#include <functional>
#include <memory>
#include <mutex>

#include "addon_worker.h"
#include "js_values.h"
#include "trainer.h"

namespace anneal {
namespace {

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

}  // namespace

void register_trainer_bindings(Napi::Env env, Napi::Object exports) {
  TrainerHandle::Init(env);
  exports.Set("createTrainer", Napi::Function::New(env, CreateTrainer));
}

}  // namespace anneal
