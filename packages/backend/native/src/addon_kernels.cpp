// Node-API hooks on the kernels themselves, for tests (each kernel path against its portable twin)
// and benchmarks (peak FLOP/s, GEMM throughput); the thread pool's coverage; plus cpuInfo.
#include <napi.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstring>
#include <mutex>
#include <thread>

#include "addon_worker.h"
#include "js_values.h"
#include "ops.h"
#include "quant_format.h"

namespace anneal {
namespace {

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
    PackedWeight packed = pack(n, k);
    if (x.size() != static_cast<size_t>(rows) * k) throw std::invalid_argument(std::string(name) + ": sizes do not match");
    std::vector<float> bias;
    if (info[5].IsTypedArray()) bias = get_floats(info[5], "bias");
    // The argument after the kernels: "dot" (BF16 products), "rows" or "panel" (quantized layouts).
    const std::string option = info.Length() > static_cast<size_t>(kernels_arg + 1) && info[kernels_arg + 1].IsString()
                                   ? info[kernels_arg + 1].As<Napi::String>().Utf8Value()
                                   : "";
    const bool dot = option == "dot";
    const Context ctx{kernels_named(info[kernels_arg]), shared_pool(), dot, option != "panel"};
    if (dot && ctx.kernels.bf16_dot == nullptr) throw std::invalid_argument(std::string(name) + ": these kernels have no BF16 dot product");
    // Quantized weights as a model holds them for these kernels, unless the row products are asked for.
    const bool rows_asked = option == "rows";
    if (!rows_asked) use_quant_panels(ctx.kernels, shared_pool(), packed);
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

// gemm16(x, rows, w, n, k, bias|null, "bf16"|"f16", kernels, "widen"|"dot") -> y  (w is W[n][k] as
// 16-bit patterns; "dot": BF16 weights on the BF16 dot-product instruction)
Napi::Value KernelGemm16(const Napi::CallbackInfo& info) {
  return run_gemm(info, "gemm16", 7, [&](int n, int k) {
    const std::vector<uint16_t> w = get_u16(info[2], "w");
    check_weight_size(w.size(), n, k, "gemm16");
    const std::string dtype = info[6].IsString() ? info[6].As<Napi::String>().Utf8Value() : "";
    if (dtype != "bf16" && dtype != "f16") throw std::invalid_argument("gemm16: dtype must be bf16 or f16");
    return pack_weight_16(w.data(), n, k, dtype == "bf16" ? DType::BF16 : DType::F16);
  });
}

// Which quantized type a hook names ("Q8_0", "Q4_0", "Q4_K", "Q5_K", "Q6_K").
static DType quantized_type(const Napi::Value& v) {
  const DType type = parse_dtype(v.IsString() ? v.As<Napi::String>().Utf8Value() : "");
  if (!is_quantized(type)) throw std::invalid_argument(std::string(dtype_name(type)) + " is not a quantized type");
  return type;
}

// quantize(values, type) -> the GGUF blocks of one row of values
Napi::Value KernelQuantize(const Napi::CallbackInfo& info) {
  try {
    const std::vector<float> values = get_floats(info[0], "values");
    const DType type = quantized_type(info[1]);
    const size_t bytes = tensor_bytes(type, values.size());
    if (bytes == 0) throw std::invalid_argument("quantize: the values are not a whole number of blocks");
    Napi::Uint8Array out = Napi::Uint8Array::New(info.Env(), bytes);
    // Blocks are independent: split them over the threads (converting an 8B model is minutes of this).
    const size_t per_block = block_elements(type), block_count = values.size() / per_block;
    uint8_t* blocks = out.Data();
    shared_pool().parallel_for(block_count, [&](size_t begin, size_t end) {
      quantize_row(type, values.data() + begin * per_block, static_cast<int>((end - begin) * per_block),
                   blocks + begin * block_bytes(type));
    });
    return out;
  } catch (const std::exception& e) {
    throw Napi::Error::New(info.Env(), e.what());
  }
}

// quantizeActivations(values, weightType, kernels) -> one row of activations as the int8 blocks
// that products with weightType's blocks take (each kernel path has its own quantizer)
Napi::Value KernelQuantizeActivations(const Napi::CallbackInfo& info) {
  try {
    const std::vector<float> values = get_floats(info[0], "values");
    const DType type = quantized_type(info[1]);
    const int k = static_cast<int>(values.size());
    if (k == 0 || k % activation_block_elements(type) != 0) {
      throw std::invalid_argument("quantizeActivations: the values are not a whole number of blocks");
    }
    Napi::Uint8Array out = Napi::Uint8Array::New(info.Env(), activation_row_bytes(type, k));
    kernels_named(info[2]).quant.quantize_activations(type, values.data(), k, out.Data());
    return out;
  } catch (const std::exception& e) {
    throw Napi::Error::New(info.Env(), e.what());
  }
}

// dequantize(blocks, type, count) -> float32 values
Napi::Value KernelDequantize(const Napi::CallbackInfo& info) {
  try {
    const std::vector<uint8_t> blocks = get_bytes(info[0], "blocks");
    const DType type = quantized_type(info[1]);
    const size_t count = static_cast<size_t>(info[2].As<Napi::Number>().Int64Value());
    if (tensor_bytes(type, count) != blocks.size() || count == 0) throw std::invalid_argument("dequantize: sizes do not match");
    std::vector<float> out(count);
    dequantize(blocks.data(), type, count, out.data());
    return to_js(info.Env(), out);
  } catch (const std::exception& e) {
    throw Napi::Error::New(info.Env(), e.what());
  }
}

// gemmQuantized(x, rows, blocks, n, k, bias|null, type, kernels, "panels"|"panel"|"rows") -> y  (blocks:
// W[n][k] as GGUF rows; "rows" keeps them so, where the kernels would otherwise repack them into panels;
// "panel" multiplies the panels one at a time, where pairs of them would be)
Napi::Value KernelGemmQuantized(const Napi::CallbackInfo& info) {
  return run_gemm(info, "gemmQuantized", 7, [&](int n, int k) {
    auto blocks = std::make_shared<std::vector<uint8_t>>(get_bytes(info[2], "blocks"));
    const DType type = quantized_type(info[6]);
    if (tensor_bytes(type, static_cast<size_t>(n) * k) != blocks->size() || k % block_elements(type) != 0) {
      throw std::invalid_argument("gemmQuantized: sizes do not match");
    }
    return quantized_view(blocks->data(), n, k, type, blocks);
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

// siluMul(gate, up, kernels, offset = 0) -> silu(gate) · up, computed from element `offset` on (the
// elements before it copied as they are), as a thread whose range starts there computes them
Napi::Value KernelSiluMul(const Napi::CallbackInfo& info) {
  try {
    std::vector<float> gate = get_floats(info[0], "gate"), up = get_floats(info[1], "up");
    if (gate.size() != up.size()) throw std::invalid_argument("siluMul: sizes do not match");
    const size_t offset = info[3].IsNumber() ? std::min<size_t>(info[3].As<Napi::Number>().Uint32Value(), gate.size()) : 0;
    std::vector<float> out(gate);
    kernels_named(info[2]).silu_mul(gate.data() + offset, up.data() + offset, out.data() + offset, gate.size() - offset);
    return to_js(info.Env(), out);
  } catch (const std::exception& e) {
    throw Napi::Error::New(info.Env(), e.what());
  }
}

// expShifted(row, shift, scale, kernels) -> { values: e^((row − shift) · scale), sum }
Napi::Value KernelExpShifted(const Napi::CallbackInfo& info) {
  try {
    std::vector<float> row = get_floats(info[0], "row");
    const float shift = static_cast<float>(info[1].As<Napi::Number>().DoubleValue());
    const float scale = static_cast<float>(info[2].As<Napi::Number>().DoubleValue());
    const float sum = kernels_named(info[3]).exp_shifted(row.data(), static_cast<int>(row.size()), shift, scale);
    Napi::Object out = Napi::Object::New(info.Env());
    out.Set("values", to_js(info.Env(), row));
    out.Set("sum", sum);
    return out;
  } catch (const std::exception& e) {
    throw Napi::Error::New(info.Env(), e.what());
  }
}

// rope(x, positions, heads, headDim, theta, rotaryDim?) -> rotated copy of x
Napi::Value KernelRope(const Napi::CallbackInfo& info) {
  try {
    std::vector<float> x = get_floats(info[0], "x");
    std::vector<int32_t> positions = get_int32s(info[1], "positions");
    const int heads = info[2].As<Napi::Number>().Int32Value(), head_dim = info[3].As<Napi::Number>().Int32Value();
    const int rotary_dim = info[5].IsNumber() ? info[5].As<Napi::Number>().Int32Value() : head_dim;
    if (x.size() != positions.size() * heads * head_dim) throw std::invalid_argument("rope: sizes do not match");
    if (rotary_dim <= 0 || rotary_dim > head_dim || rotary_dim % 2 != 0) throw std::invalid_argument("rope: bad rotary dims");
    rope(Context{best_kernels(), shared_pool()}, x.data(), positions.data(), static_cast<int>(positions.size()), heads,
         head_dim, static_cast<float>(info[4].As<Napi::Number>().DoubleValue()), false, RopePairs::RotateHalf,
         rotary_dim);
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

// benchGemm(rows, n, k, threads, milliseconds, kernels, dtype = "F32", bf16 = "widen", layout = "panels")
// -> GFLOP/s of y = x · Wᵀ with W stored as `dtype` (F32, BF16, or a quantized type); bf16 "dot" uses
// the BF16 dot product; layout "rows" keeps quantized weights as GGUF rows where panels would be used,
// "panel" multiplies panels one at a time where pairs of them would be
Napi::Value BenchGemm(const Napi::CallbackInfo& info) {
  const int rows = info[0].As<Napi::Number>().Int32Value(), n = info[1].As<Napi::Number>().Int32Value();
  const int k = info[2].As<Napi::Number>().Int32Value();
  ThreadPool pool(info[3].As<Napi::Number>().Uint32Value());
  const double budget = info[4].As<Napi::Number>().DoubleValue() / 1000.0;
  const DType dtype = parse_dtype(info[6].IsString() ? info[6].As<Napi::String>().Utf8Value() : "F32");
  std::vector<float> x(static_cast<size_t>(rows) * k), w(static_cast<size_t>(n) * k), y(static_cast<size_t>(rows) * n);
  for (size_t i = 0; i < x.size(); ++i) x[i] = static_cast<float>(i % 97) / 97.0f - 0.5f;
  for (size_t i = 0; i < w.size(); ++i) w[i] = static_cast<float>(i % 89) / 89.0f - 0.5f;
  PackedWeight packed;
  if (is_quantized(dtype)) {
    packed = quantize_weight(w.data(), n, k, dtype, pool);
  } else if (dtype == DType::BF16 || dtype == DType::F16) {
    std::vector<uint16_t> bits(w.size());
    for (size_t i = 0; i < w.size(); ++i) {
      uint32_t wide;
      std::memcpy(&wide, &w[i], 4);
      bits[i] = dtype == DType::BF16 ? static_cast<uint16_t>(wide >> 16) : f32_to_f16(w[i]);
    }
    packed = pack_weight_16(bits.data(), n, k, dtype);
  } else {
    packed = pack_weight(w.data(), n, k);
  }
  const bool dot = info[7].IsString() && info[7].As<Napi::String>().Utf8Value() == "dot";
  const std::string layout = info[8].IsString() ? info[8].As<Napi::String>().Utf8Value() : "panels";
  // "panel": quantized panels one at a time, never in pairs (the pair tiles' reference)
  const Context ctx{kernels_named(info[5]), pool, dot, layout != "panel"};
  const bool rows_asked = layout == "rows";
  if (!rows_asked) use_quant_panels(ctx.kernels, pool, packed);
  if (dot && ctx.kernels.bf16_dot == nullptr) throw Napi::Error::New(info.Env(), "benchGemm: these kernels have no BF16 dot product");
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

// benchPeakFma(threads, milliseconds, kernels, "fma"|"bf16dot"|"int8dot") -> GFLOP/s (GOP/s) of a
// register-only FMA loop (or vdpbf16ps, or int8 dot-product loop) on each thread
Napi::Value BenchPeakFma(const Napi::CallbackInfo& info) {
  const unsigned threads = std::max(1u, info[0].As<Napi::Number>().Uint32Value());
  const double budget = info[1].As<Napi::Number>().DoubleValue() / 1000.0;
  const Kernels& chosen = kernels_named(info[2]);
  const std::string loop = info[3].IsString() ? info[3].As<Napi::String>().Utf8Value() : "fma";
  struct Loop {
    float (*run)(int64_t);
    int flops;
  } kernels{chosen.fma_loop, chosen.fma_loop_flops};
  if (loop == "bf16dot") {
    if (chosen.bf16_dot == nullptr) throw Napi::Error::New(info.Env(), "benchPeakFma: these kernels have no BF16 dot product");
    kernels = Loop{chosen.bf16_dot->dot_loop, chosen.bf16_dot->dot_loop_flops};
  } else if (loop == "int8dot") {
    const QuantPanelDots* panels = chosen.quant.panels;
    if (panels == nullptr || panels->int8_loop == nullptr) throw Napi::Error::New(info.Env(), "benchPeakFma: these kernels have no int8 peak loop");
    kernels = Loop{panels->int8_loop, panels->int8_loop_ops};
  }
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
        sink = sink + kernels.run(chunk);
        rounds += chunk;
        elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
      } while (elapsed < budget);
      rates[t] = static_cast<double>(rounds) * kernels.flops / elapsed / 1e9;
    });
  }
  for (auto& w : workers) w.join();
  double total = 0;
  for (double r : rates) total += r;
  return Napi::Number::New(info.Env(), total);
}

// poolCoverage(threads, items, calls, spinUs) -> { wrong, threadsUsed, spinUs }: `calls` parallel_fors
// of `items` on a fresh pool (spinUs < 0: the polling time ANNEAL_SPIN_US gives); `wrong` counts
// (call, item) pairs not visited exactly once, threadsUsed is how many distinct threads ran chunks
// over all calls, spinUs the pool's polling time.
Napi::Value PoolCoverage(const Napi::CallbackInfo& info) {
  const uint32_t threads = info[0].As<Napi::Number>().Uint32Value(), items = info[1].As<Napi::Number>().Uint32Value();
  const uint32_t calls = info[2].As<Napi::Number>().Uint32Value();
  const int spin_us = info[3].As<Napi::Number>().Int32Value();
  size_t wrong = 0;
  int pool_spin_us = 0;
  std::mutex seen_mutex;
  std::vector<std::thread::id> seen;
  {
    ThreadPool pool(threads, spin_us);
    pool_spin_us = pool.spin_us();
    std::vector<std::atomic<int>> visits(items);
    for (uint32_t call = 0; call < calls; ++call) {
      for (auto& v : visits) v.store(0, std::memory_order_relaxed);
      pool.parallel_for(items, [&](size_t begin, size_t end) {
        for (size_t i = begin; i < end; ++i) visits[i].fetch_add(1, std::memory_order_relaxed);
        std::lock_guard<std::mutex> lock(seen_mutex);
        if (std::find(seen.begin(), seen.end(), std::this_thread::get_id()) == seen.end()) seen.push_back(std::this_thread::get_id());
      });
      for (auto& v : visits) wrong += v.load(std::memory_order_relaxed) != 1;
    }
  }  // the pool's destructor joins its workers, polling or asleep
  Napi::Object out = Napi::Object::New(info.Env());
  out.Set("wrong", static_cast<double>(wrong));
  out.Set("threadsUsed", static_cast<double>(seen.size()));
  out.Set("spinUs", pool_spin_us);
  return out;
}

Napi::Value CpuInfo(const Napi::CallbackInfo& info) {
  Napi::Object out = Napi::Object::New(info.Env());
  out.Set("avx2", cpu_has_avx2_fma());
  out.Set("avx512", cpu_has_avx512());
  out.Set("avx512Vnni", cpu_has_avx512_vnni());
  out.Set("avx512Bf16", cpu_has_avx512_bf16());
  out.Set("kernels", best_kernels().name);
  out.Set("int8", best_kernels().quant.name);
  out.Set("hardwareThreads", static_cast<double>(std::thread::hardware_concurrency()));
  return out;
}

}  // namespace

void register_kernel_bindings(Napi::Env env, Napi::Object exports) {
  exports.Set("cpuInfo", Napi::Function::New(env, CpuInfo));
  Napi::Object kernels = Napi::Object::New(env);
  kernels.Set("gemm", Napi::Function::New(env, KernelGemm));
  kernels.Set("gemm16", Napi::Function::New(env, KernelGemm16));
  kernels.Set("gemmQuantized", Napi::Function::New(env, KernelGemmQuantized));
  kernels.Set("quantize", Napi::Function::New(env, KernelQuantize));
  kernels.Set("dequantize", Napi::Function::New(env, KernelDequantize));
  kernels.Set("quantizeActivations", Napi::Function::New(env, KernelQuantizeActivations));
  kernels.Set("rmsNorm", Napi::Function::New(env, KernelRmsNorm));
  kernels.Set("rope", Napi::Function::New(env, KernelRope));
  kernels.Set("siluMul", Napi::Function::New(env, KernelSiluMul));
  kernels.Set("expShifted", Napi::Function::New(env, KernelExpShifted));
  kernels.Set("attention", Napi::Function::New(env, KernelAttention));
  kernels.Set("rowStats", Napi::Function::New(env, KernelRowStats));
  kernels.Set("benchGemm", Napi::Function::New(env, BenchGemm));
  kernels.Set("benchPeakFma", Napi::Function::New(env, BenchPeakFma));
  kernels.Set("poolCoverage", Napi::Function::New(env, PoolCoverage));
  exports.Set("kernels", kernels);
}

}  // namespace anneal
