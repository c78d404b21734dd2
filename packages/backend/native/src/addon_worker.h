// One generic async worker for every binding that does heavy work (loading, forward passes,
// training steps): `work` runs on a libuv thread, `done` turns its result into a value on the
// JavaScript thread, and any C++ exception rejects the Promise with its message (never a crash).
#pragma once

#include <napi.h>

#include <functional>
#include <memory>
#include <stdexcept>

namespace anneal {

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

inline Napi::Promise queue(Napi::Env env, std::function<void()> work, std::function<Napi::Value(Napi::Env)> done) {
  auto* worker = new PromiseWorker(env, std::move(work), std::move(done));
  Napi::Promise promise = worker->Promise();
  worker->Queue();
  return promise;
}

// Each concern's bindings add themselves to the addon's exports.
void register_model_bindings(Napi::Env env, Napi::Object exports);
void register_trainer_bindings(Napi::Env env, Napi::Object exports);
void register_kernel_bindings(Napi::Env env, Napi::Object exports);

}  // namespace anneal
