// Reading JavaScript arguments into the engine's C++ types and back, shared by the addon's files.
// Every reader throws std::invalid_argument naming the field, which the bindings turn into a TypeError.
#pragma once

#include <napi.h>

#include <map>
#include <stdexcept>
#include <string>
#include <vector>

#include "engine.h"
#include "weight_reader.h"

namespace anneal {

inline int get_int(const Napi::Object& o, const char* key) {
  Napi::Value v = o.Get(key);
  if (!v.IsNumber()) throw std::invalid_argument(std::string("expected a number for ") + key);
  return v.As<Napi::Number>().Int32Value();
}

inline double get_number(const Napi::Object& o, const char* key, double fallback) {
  Napi::Value v = o.Get(key);
  return v.IsNumber() ? v.As<Napi::Number>().DoubleValue() : fallback;
}

inline bool get_bool(const Napi::Object& o, const char* key) {
  Napi::Value v = o.Get(key);
  return v.IsBoolean() && v.As<Napi::Boolean>().Value();
}

inline std::string get_string(const Napi::Object& o, const char* key, const char* fallback) {
  Napi::Value v = o.Get(key);
  if (v.IsUndefined()) return fallback;
  if (!v.IsString()) throw std::invalid_argument(std::string("expected a string for ") + key);
  return v.As<Napi::String>().Utf8Value();
}

inline std::vector<int32_t> get_int32s(const Napi::Value& v, const char* what) {
  if (!v.IsTypedArray() || v.As<Napi::TypedArray>().TypedArrayType() != napi_int32_array) {
    throw std::invalid_argument(std::string(what) + " must be an Int32Array");
  }
  Napi::Int32Array a = v.As<Napi::Int32Array>();
  return std::vector<int32_t>(a.Data(), a.Data() + a.ElementLength());
}

inline std::vector<float> get_floats(const Napi::Value& v, const char* what) {
  if (!v.IsTypedArray() || v.As<Napi::TypedArray>().TypedArrayType() != napi_float32_array) {
    throw std::invalid_argument(std::string(what) + " must be a Float32Array");
  }
  Napi::Float32Array a = v.As<Napi::Float32Array>();
  return std::vector<float>(a.Data(), a.Data() + a.ElementLength());
}

inline std::vector<uint16_t> get_u16(const Napi::Value& v, const char* what) {
  if (!v.IsTypedArray() || v.As<Napi::TypedArray>().TypedArrayType() != napi_uint16_array) {
    throw std::invalid_argument(std::string(what) + " must be a Uint16Array");
  }
  Napi::Uint16Array a = v.As<Napi::Uint16Array>();
  return std::vector<uint16_t>(a.Data(), a.Data() + a.ElementLength());
}

inline std::vector<uint8_t> get_bytes(const Napi::Value& v, const char* what) {
  if (!v.IsTypedArray() || v.As<Napi::TypedArray>().TypedArrayType() != napi_uint8_array) {
    throw std::invalid_argument(std::string(what) + " must be a Uint8Array");
  }
  Napi::Uint8Array a = v.As<Napi::Uint8Array>();
  return std::vector<uint8_t>(a.Data(), a.Data() + a.ElementLength());
}

inline Napi::Float32Array to_js(Napi::Env env, const std::vector<float>& values) {
  Napi::Float32Array out = Napi::Float32Array::New(env, values.size());
  std::copy(values.begin(), values.end(), out.Data());
  return out;
}

inline ModelConfig read_config(const Napi::Object& o) {
  ModelConfig c;
  c.vocab = get_int(o, "vocab");
  c.dim = get_int(o, "dim");
  c.layers = get_int(o, "layers");
  c.heads = get_int(o, "heads");
  c.kv_heads = get_int(o, "kvHeads");
  c.head_dim = get_int(o, "headDim");
  c.ffn = get_int(o, "ffn");
  c.eps = static_cast<float>(get_number(o, "eps", 1e-5));
  c.rope_theta = static_cast<float>(get_number(o, "ropeTheta", 10000));
  c.qkv_bias = get_bool(o, "qkvBias");
  c.tied_embeddings = get_bool(o, "tiedEmbeddings");
  c.qk_norm = get_bool(o, "qkNorm");
  c.rope_dim = static_cast<int>(get_number(o, "ropeDim", 0));
  if (o.Has("moe") && o.Get("moe").IsObject()) {
    const Napi::Object moe = o.Get("moe").As<Napi::Object>();
    c.experts = get_int(moe, "experts");
    c.experts_per_token = get_int(moe, "expertsPerToken");
    c.expert_ffn = get_int(moe, "expertFfn");
    c.shared_expert_ffn = static_cast<int>(get_number(moe, "sharedExpertFfn", 0));
    c.expert_bias = get_bool(moe, "expertBias");
    c.norm_top_k = get_bool(moe, "normTopK");
    const std::string router = get_string(moe, "router", "softmax");
    if (router != "softmax" && router != "sigmoid") throw std::invalid_argument("moe.router must be softmax or sigmoid");
    c.router_sigmoid = router == "sigmoid";
    c.expert_groups = static_cast<int>(get_number(moe, "groups", 1));
    c.expert_groups_kept = static_cast<int>(get_number(moe, "groupsKept", c.expert_groups));
    c.routed_scale = static_cast<float>(get_number(moe, "routedScale", 1));
    const Napi::Value layers = moe.Get("layers");  // booleans, one per layer: whether it has the mixture
    if (layers.IsArray()) {
      const Napi::Array flags = layers.As<Napi::Array>();
      for (uint32_t i = 0; i < flags.Length(); ++i) c.moe_layers.push_back(flags.Get(i).ToBoolean().Value() ? 1 : 0);
    } else if (!layers.IsUndefined()) {
      throw std::invalid_argument("moe.layers must be an array of booleans");
    }
  }
  return c;
}

inline SamplingParams read_sampling(const Napi::Object& o) {
  SamplingParams s;
  s.temperature = static_cast<float>(get_number(o, "temperature", 0));
  s.top_p = static_cast<float>(get_number(o, "topP", 1));
  s.top_k = static_cast<int32_t>(get_number(o, "topK", 0));
  s.seed = static_cast<uint64_t>(get_number(o, "seed", 0));
  if (o.Has("suppress") && !o.Get("suppress").IsUndefined()) s.suppress = get_int32s(o.Get("suppress"), "sampling.suppress");
  return s;
}

inline Napi::Object stats_to_js(Napi::Env env, const std::vector<RowStats>& stats) {
  const size_t n = stats.size();
  Napi::Int32Array argmax = Napi::Int32Array::New(env, n), sample = Napi::Int32Array::New(env, n);
  Napi::Float32Array confidence = Napi::Float32Array::New(env, n), margin = Napi::Float32Array::New(env, n);
  Napi::Float32Array entropy = Napi::Float32Array::New(env, n), sample_prob = Napi::Float32Array::New(env, n);
  for (size_t i = 0; i < n; ++i) {
    argmax[i] = stats[i].argmax;
    confidence[i] = stats[i].confidence;
    margin[i] = stats[i].margin;
    entropy[i] = stats[i].entropy;
    sample[i] = stats[i].sample;
    sample_prob[i] = stats[i].sample_prob;
  }
  Napi::Object out = Napi::Object::New(env);
  out.Set("argmax", argmax);
  out.Set("confidence", confidence);
  out.Set("margin", margin);
  out.Set("entropy", entropy);
  out.Set("sample", sample);
  out.Set("sampleProb", sample_prob);
  return out;
}

// files: string[]; tensors: { key: { name, file, offset, dtype, shape } }
inline void read_sources(const Napi::Value& file_list, const Napi::Value& tensor_map, std::vector<std::string>& files,
                  std::map<std::string, TensorSource>& tensors) {
  if (!file_list.IsArray() || !tensor_map.IsObject()) throw std::invalid_argument("expected files and tensors");
  Napi::Array list = file_list.As<Napi::Array>();
  for (uint32_t i = 0; i < list.Length(); ++i) files.push_back(list.Get(i).ToString().Utf8Value());
  Napi::Object map = tensor_map.As<Napi::Object>();
  Napi::Array keys = map.GetPropertyNames();
  for (uint32_t i = 0; i < keys.Length(); ++i) {
    const std::string key = keys.Get(i).ToString().Utf8Value();
    Napi::Object t = map.Get(key).As<Napi::Object>();
    TensorSource source;
    source.name = t.Get("name").ToString().Utf8Value();
    source.file = get_int(t, "file");
    source.offset = static_cast<size_t>(get_number(t, "offset", 0));
    source.dtype = parse_dtype(t.Get("dtype").ToString().Utf8Value());
    source.interleaved_head_dim = static_cast<int>(get_number(t, "interleavedHeadDim", 0));
    Napi::Array shape = t.Get("shape").As<Napi::Array>();
    for (uint32_t d = 0; d < shape.Length(); ++d) source.shape.push_back(shape.Get(d).As<Napi::Number>().Int64Value());
    tensors[key] = source;
  }
}

}  // namespace anneal
