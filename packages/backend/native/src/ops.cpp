// Transformer operations over the kernel table: GEMM tiling and threading, norms, RoPE, attention,
// and the per-row softmax statistics the samplers consume.
#include "ops.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <numeric>
#include <stdexcept>
#include <string>

#include <sys/mman.h>

#include "quant_format.h"
#include "quant_panels.h"
#include "row_tiles.h"
#include "seeded_draw.h"

namespace anneal {

// panel p, row kk, lane j  <-  W[p*16 + j][kk]
template <class Element>
static std::vector<Element> to_panels(const Element* w, int n, int k) {
  const int panels = (n + kPanelWidth - 1) / kPanelWidth;
  std::vector<Element> packed(static_cast<size_t>(panels) * k * kPanelWidth, Element{});
  for (int p = 0; p < panels; ++p) {
    Element* dst = packed.data() + static_cast<size_t>(p) * k * kPanelWidth;
    for (int j = 0; j < kPanelWidth && p * kPanelWidth + j < n; ++j) {
      const Element* src = w + static_cast<size_t>(p * kPanelWidth + j) * k;
      for (int kk = 0; kk < k; ++kk) dst[kk * kPanelWidth + j] = src[kk];
    }
  }
  return packed;
}

PackedWeight pack_weight(const float* w, int n, int k) {
  PackedWeight packed;
  packed.n = n;
  packed.k = k;
  packed.panels = to_panels(w, n, k);
  return packed;
}

PackedWeight pack_weight_16(const uint16_t* w, int n, int k, DType dtype) {
  if (dtype != DType::BF16 && dtype != DType::F16) throw std::invalid_argument("pack_weight_16: BF16 or F16 only");
  PackedWeight packed;
  packed.n = n;
  packed.k = k;
  packed.dtype = dtype;
  packed.panels16 = to_panels(w, n, k);  // zero bits are 0.0 in both formats
  return packed;
}

static void check_quantized_shape(int n, int k, DType type) {
  if (!is_quantized(type)) throw std::invalid_argument(std::string("not a quantized type: ") + dtype_name(type));
  if (n <= 0 || k <= 0 || k % block_elements(type) != 0) {
    throw std::invalid_argument(std::string(dtype_name(type)) + " weights need rows of a multiple of " +
                                std::to_string(block_elements(type)) + " values (got " + std::to_string(n) + " × " +
                                std::to_string(k) + ")");
  }
}

PackedWeight quantize_weight(const float* w, int n, int k, DType type, ThreadPool& pool) {
  check_quantized_shape(n, k, type);
  PackedWeight packed;
  packed.n = n;
  packed.k = k;
  packed.dtype = type;
  packed.row_bytes = tensor_bytes(type, static_cast<size_t>(k));
  packed.owned.resize(packed.row_bytes * n);
  // The scale searches cost ~0.1 µs a value: an 8B model's matrices take minutes on one thread.
  pool.parallel_for(static_cast<size_t>(n), [&](size_t begin, size_t end) {
    for (size_t row = begin; row < end; ++row) {
      quantize_row(type, w + row * k, k, packed.owned.data() + packed.row_bytes * row);
    }
  });
  return packed;
}

PackedWeight quantized_view(const uint8_t* blocks, int n, int k, DType type, std::shared_ptr<const void> keep) {
  check_quantized_shape(n, k, type);
  PackedWeight packed;
  packed.n = n;
  packed.k = k;
  packed.dtype = type;
  packed.row_bytes = tensor_bytes(type, static_cast<size_t>(k));
  packed.mapped = blocks;
  packed.keep = std::move(keep);
  return packed;
}

static void ask_for_huge_pages(uint8_t* start, size_t bytes) {
#ifdef MADV_HUGEPAGE
  constexpr uintptr_t kHuge = 2 << 20;
  const uintptr_t first = (reinterpret_cast<uintptr_t>(start) + kHuge - 1) / kHuge * kHuge;
  const uintptr_t end = (reinterpret_cast<uintptr_t>(start) + bytes) / kHuge * kHuge;
  if (end > first) ::madvise(reinterpret_cast<void*>(first), end - first, MADV_HUGEPAGE);  // advice only
#else
  (void)start;
  (void)bytes;
#endif
}

static QuantPanelDot panel_dot(const QuantDots& dots, DType type) {
  if (dots.panels == nullptr) return nullptr;
  switch (type) {
    case DType::Q8_0: return dots.panels->q8_0;
    case DType::Q4_0: return dots.panels->q4_0;
    case DType::Q4_K: return dots.panels->q4_k;
    case DType::Q5_K: return dots.panels->q5_k;
    case DType::Q6_K: return dots.panels->q6_k;
    default: return nullptr;
  }
}

static QuantPanelPairDot panel_pair_dot(const QuantDots& dots, DType type) {
  if (dots.panels == nullptr) return nullptr;
  switch (type) {
    case DType::Q8_0: return dots.panels->q8_0_pair;
    case DType::Q4_K: return dots.panels->q4_k_pair;
    default: return nullptr;
  }
}

bool use_quant_panels(const Kernels& kernels, ThreadPool& pool, PackedWeight& w) {
  if (!is_quantized(w.dtype) || !w.quant_panels.empty() || panel_dot(kernels.quant, w.dtype) == nullptr) return false;
  const int panels = (w.n + kQuantPanelRows - 1) / kQuantPanelRows;
  w.quant_panels.resize(panel_bytes(w.dtype, w.k) * panels);
  // An 8B model's panels are gigabytes: in 2 MiB pages they take a thousandth of the page faults.
  ask_for_huge_pages(w.quant_panels.data(), w.quant_panels.size());
  const uint8_t* rows = w.blocks();
  pool.parallel_for(static_cast<size_t>(panels), [&](size_t begin, size_t end) {
    repack_to_panels(w.dtype, rows, w.n, w.k, static_cast<int>(begin), static_cast<int>(end), w.quant_panels.data());
  });
  w.owned = std::vector<uint8_t>();
  w.mapped = nullptr;
  w.keep.reset();
  return true;
}

static QuantDot quant_dot(const QuantDots& dots, DType type) {
  switch (type) {
    case DType::Q8_0: return dots.q8_0;
    case DType::Q4_0: return dots.q4_0;
    case DType::Q4_K: return dots.q4_k;
    case DType::Q5_K: return dots.q5_k;
    case DType::Q6_K: return dots.q6_k;
    default: throw std::invalid_argument(std::string("no quantized product for ") + dtype_name(type));
  }
}

// Runs fn(first panel, first row, rows) over the work items of a panel product: `span` consecutive
// panels of `panels` (the last span may be short) times one row tile, panel-major so a thread reuses
// its weights from cache across the row tiles.
template <class Fn>
static void for_each_work_item(const Context& ctx, int panels, int span, int rows, int tile_rows, const Fn& fn) {
  const int spans = (panels + span - 1) / span;
  const RowTiles row_tiles(rows, tile_rows);
  const int tiles = row_tiles.count();
  ctx.pool.parallel_for(static_cast<size_t>(spans) * tiles, [&](size_t begin, size_t end) {
    for (size_t item = begin; item < end; ++item) {
      const int p = static_cast<int>(item / tiles) * span, t = static_cast<int>(item % tiles);
      fn(p, row_tiles.first_row(t), row_tiles.rows(t));
    }
  });
}

// y = x · Wᵀ with W in GGUF blocks: the activation rows are quantized to int8 blocks once, then each
// tile of up to kMaxQuantRows activation rows is multiplied by sixteen weight rows at a time — from
// panels where the weight was repacked, else a row at a time (llama.cpp's scheme).
static void gemm_quantized(const Context& ctx, const float* x, int rows, const PackedWeight& w, const float* bias,
                           float* y, bool accumulate) {
  const int n = w.n, k = w.k;
  const size_t act_bytes = activation_row_bytes(w.dtype, k);
  std::vector<uint8_t> acts(act_bytes * rows);
  ctx.pool.parallel_for(rows, [&](size_t begin, size_t end) {
    for (size_t r = begin; r < end; ++r) ctx.kernels.quant.quantize_activations(w.dtype, x + r * k, k, acts.data() + r * act_bytes);
  });
  const int groups = (n + kQuantPanelRows - 1) / kQuantPanelRows;
  // out[r · ld + j − j0] (+ bias) into y's rows r0 .., columns j0 .. j0 + 15 (those before n). The
  // bounds and choices are locals taken once, so each row's loop is straight-line and vectorised (as
  // a loop over captured references it reloaded n every element: 4.6 % of an 8B Q4_K_M forward).
  const auto store = [&, n, bias, accumulate](const float* out, int ld, int r0, int tile_rows, int j0) {
    const int cols = std::min(n - j0, kQuantPanelRows);
    const float* b = bias ? bias + j0 : nullptr;
    for (int r = 0; r < tile_rows; ++r) {
      float* dst = y + static_cast<size_t>(r0 + r) * n + j0;
      const float* src = out + r * ld;
      if (b && accumulate) {
        for (int j = 0; j < cols; ++j) dst[j] += src[j] + b[j];
      } else if (b) {
        for (int j = 0; j < cols; ++j) dst[j] = src[j] + b[j];
      } else if (accumulate) {
        for (int j = 0; j < cols; ++j) dst[j] += src[j];
      } else {
        std::memcpy(dst, src, sizeof(float) * cols);
      }
    }
  };
  if (!w.quant_panels.empty()) {  // sixteen weight rows at a time (quant_panels.h), or 32 in pairs
    const QuantPanelDot dot = panel_dot(ctx.kernels.quant, w.dtype);
    if (dot == nullptr) throw std::invalid_argument("gemm: these kernels have no product over quantized panels");
    const QuantPanelPairDot pair = ctx.quant_panel_pairs ? panel_pair_dot(ctx.kernels.quant, w.dtype) : nullptr;
    const size_t bytes = panel_bytes(w.dtype, k);
    const uint8_t* panels = w.quant_panels.data();
    // Work item = (two groups of sixteen weight rows where the type has pair tiles, an odd last one
    // alone; else one group) × (a tile of up to kMaxQuantRows activation rows).
    for_each_work_item(ctx, groups, pair ? 2 : 1, rows, kMaxQuantRows, [&](int g, int r0, int tile_rows) {
      float out[kMaxQuantRows * 2 * kQuantPanelRows];
      if (pair && g + 1 < groups) {
        pair(panels + bytes * g, bytes, acts.data() + act_bytes * r0, act_bytes, tile_rows, k, out);
        store(out, 2 * kQuantPanelRows, r0, tile_rows, g * kQuantPanelRows);
        store(out + kQuantPanelRows, 2 * kQuantPanelRows, r0, tile_rows, (g + 1) * kQuantPanelRows);
      } else {
        dot(panels + bytes * g, acts.data() + act_bytes * r0, act_bytes, tile_rows, k, out);
        store(out, kQuantPanelRows, r0, tile_rows, g * kQuantPanelRows);
      }
    });
    return;
  }
  const QuantDot dot = quant_dot(ctx.kernels.quant, w.dtype);
  const uint8_t* blocks = w.blocks();
  for_each_work_item(ctx, groups, 1, rows, kMaxQuantRows, [&](int g, int r0, int tile_rows) {
    float out[kMaxQuantRows * kQuantPanelRows];  // out[r][j - j0], as the panel products give it
    for (int j = g * kQuantPanelRows; j < std::min(n, (g + 1) * kQuantPanelRows); ++j) {
      float column[kMaxQuantRows];
      dot(blocks + w.row_bytes * j, acts.data() + act_bytes * r0, act_bytes, tile_rows, k, column);
      for (int r = 0; r < tile_rows; ++r) out[r * kQuantPanelRows + (j - g * kQuantPanelRows)] = column[r];
    }
    store(out, kQuantPanelRows, r0, tile_rows, g * kQuantPanelRows);
  });
}

// Runs the tiles of y = x · panels over the pool; `tile(item's rows, panel index, n0)` does one.
template <class Tile>
static void for_each_tile(const Context& ctx, int rows, int n, const Tile& tile) {
  const int panel_count = (n + kPanelWidth - 1) / kPanelWidth;
  for_each_work_item(ctx, panel_count, 1, rows, ctx.kernels.tile_rows,
                     [&](int p, int r0, int count) { tile(r0, count, p, p * kPanelWidth); });
}

// Runs the tiles of y = x · panels two panels at a time (the last alone when their count is odd):
// `pair(rows, first panel, n0)` or `single(...)` does one.
template <class Pair, class Single>
static void for_each_pair_tile(const Context& ctx, int rows, int n, const Pair& pair, const Single& single) {
  const int panel_count = (n + kPanelWidth - 1) / kPanelWidth;
  for_each_work_item(ctx, panel_count, 2, rows, ctx.kernels.tile_rows, [&](int p, int r0, int count) {
    if (p + 1 < panel_count) {
      pair(r0, count, p, p * kPanelWidth);
    } else {
      single(r0, count, p, p * kPanelWidth);
    }
  });
}

void gemm_panels(const Context& ctx, const float* x, int ldx, int rows, const float* panels, int n, int k,
                 const float* bias, float* y, int ldy, bool accumulate) {
  const size_t stride = static_cast<size_t>(k) * kPanelWidth;
  const auto single = [&](int r0, int tile_rows, int p, int n0) {
    ctx.kernels.gemm_tile(x + static_cast<size_t>(r0) * ldx, ldx, tile_rows, panels + static_cast<size_t>(p) * stride,
                          k, bias ? bias + n0 : nullptr, y + static_cast<size_t>(r0) * ldy + n0, ldy,
                          std::min(kPanelWidth, n - n0), accumulate);
  };
  if (ctx.kernels.gemm_tile_pair) {
    for_each_pair_tile(ctx, rows, n, [&](int r0, int tile_rows, int p, int n0) {
      ctx.kernels.gemm_tile_pair(x + static_cast<size_t>(r0) * ldx, ldx, tile_rows, panels + static_cast<size_t>(p) * stride,
                                 stride, k, bias ? bias + n0 : nullptr, y + static_cast<size_t>(r0) * ldy + n0, ldy,
                                 std::min(2 * kPanelWidth, n - n0), accumulate);
    }, single);
    return;
  }
  for_each_tile(ctx, rows, n, [&](int r0, int tile_rows, int p, int n0) {
    ctx.kernels.gemm_tile(x + static_cast<size_t>(r0) * ldx, ldx, tile_rows, panels + static_cast<size_t>(p) * k * kPanelWidth,
                          k, bias ? bias + n0 : nullptr, y + static_cast<size_t>(r0) * ldy + n0, ldy,
                          std::min(kPanelWidth, n - n0), accumulate);
  });
}

// Products over k values [k0, k0 + kc) of a float or 16-bit weight (the panels' rows k0 ..): x and the
// panels are read from k0 on, with their full row lengths as strides.
static void gemm_k_range(const Context& ctx, const float* x, int rows, const PackedWeight& w, int k0, int kc,
                         const float* bias, float* y, bool accumulate) {
  const int ldk = w.k, n = w.n;
  const size_t stride = static_cast<size_t>(ldk) * kPanelWidth;
  if (w.dtype == DType::F32) {
    const float* panels = w.panels.data() + static_cast<size_t>(k0) * kPanelWidth;
    const auto single = [&](int r0, int tile_rows, int p, int n0) {
      ctx.kernels.gemm_tile(x + static_cast<size_t>(r0) * ldk + k0, ldk, tile_rows, panels + p * stride, kc,
                            bias ? bias + n0 : nullptr, y + static_cast<size_t>(r0) * n + n0, n,
                            std::min(kPanelWidth, n - n0), accumulate);
    };
    if (ctx.kernels.gemm_tile_pair) {
      for_each_pair_tile(ctx, rows, n, [&](int r0, int tile_rows, int p, int n0) {
        ctx.kernels.gemm_tile_pair(x + static_cast<size_t>(r0) * ldk + k0, ldk, tile_rows, panels + p * stride, stride, kc,
                                   bias ? bias + n0 : nullptr, y + static_cast<size_t>(r0) * n + n0, n,
                                   std::min(2 * kPanelWidth, n - n0), accumulate);
      }, single);
    } else {
      for_each_tile(ctx, rows, n, single);
    }
    return;
  }
  const uint16_t* panels16 = w.panels16.data() + static_cast<size_t>(k0) * kPanelWidth;
  if (w.dtype == DType::BF16 && ctx.bf16_dot && ctx.kernels.bf16_dot) {
    // The activation rows rounded to BF16 once, then every tile takes pairs of them.
    const Bf16Dots& dots = *ctx.kernels.bf16_dot;
    std::vector<uint16_t> xb(static_cast<size_t>(rows) * kc);
    ctx.pool.parallel_for(rows, [&](size_t begin, size_t end) {
      for (size_t r = begin; r < end; ++r) dots.to_bf16(x + r * ldk + k0, kc, xb.data() + r * kc);
    });
    // Each tile spans two panels (the last alone when their count is odd).
    const auto tile = [&](int panel_span) {
      return [&, panel_span](int r0, int tile_rows, int p, int n0) {
        dots.gemm_tile(xb.data() + static_cast<size_t>(r0) * kc, kc, tile_rows, panels16 + p * stride, stride, panel_span,
                       kc, bias ? bias + n0 : nullptr, y + static_cast<size_t>(r0) * n + n0, n,
                       std::min(panel_span * kPanelWidth, n - n0), accumulate);
      };
    };
    for_each_pair_tile(ctx, rows, n, tile(2), tile(1));
    return;
  }
  const auto tile16 = w.dtype == DType::BF16 ? ctx.kernels.gemm_tile_bf16 : ctx.kernels.gemm_tile_f16;
  const auto pair16 = w.dtype == DType::BF16 ? ctx.kernels.gemm_tile_pair_bf16 : ctx.kernels.gemm_tile_pair_f16;
  const auto single = [&](int r0, int tile_rows, int p, int n0) {
    tile16(x + static_cast<size_t>(r0) * ldk + k0, ldk, tile_rows, panels16 + p * stride, kc, bias ? bias + n0 : nullptr,
           y + static_cast<size_t>(r0) * n + n0, n, std::min(kPanelWidth, n - n0), accumulate);
  };
  if (pair16) {
    for_each_pair_tile(ctx, rows, n, [&](int r0, int tile_rows, int p, int n0) {
      pair16(x + static_cast<size_t>(r0) * ldk + k0, ldk, tile_rows, panels16 + p * stride, stride, kc,
             bias ? bias + n0 : nullptr, y + static_cast<size_t>(r0) * n + n0, n, std::min(2 * kPanelWidth, n - n0),
             accumulate);
    }, single);
    return;
  }
  for_each_tile(ctx, rows, n, single);
}

// Longer rows than this are multiplied a slice of k at a time, so that a tile's activation rows and
// its panel slice stay in L2 together (12 rows and 16 weights of 4096 floats: 450 KiB); each slice
// adds into y. An even size keeps the BF16 dot product's pairs of k whole.
constexpr int kGemmSlice = 4096;

void gemm(const Context& ctx, const float* x, int rows, const PackedWeight& w, const float* bias, float* y,
          bool accumulate) {
  if (is_quantized(w.dtype)) {
    gemm_quantized(ctx, x, rows, w, bias, y, accumulate);
    return;
  }
  for (int k0 = 0; k0 < w.k; k0 += kGemmSlice) {
    const bool first = k0 == 0;
    gemm_k_range(ctx, x, rows, w, k0, std::min(kGemmSlice, w.k - k0), first ? bias : nullptr, y, first ? accumulate : true);
  }
}

void pack_rows(const float* src, int n, int k, size_t stride, std::vector<float>& panels) {
  const int count = (n + kPanelWidth - 1) / kPanelWidth;
  panels.assign(static_cast<size_t>(count) * k * kPanelWidth, 0.0f);
  for (int i = 0; i < n; ++i) {
    float* dst = panels.data() + static_cast<size_t>(i / kPanelWidth) * k * kPanelWidth + (i % kPanelWidth);
    const float* v = src + i * stride;
    for (int kk = 0; kk < k; ++kk) dst[kk * kPanelWidth] = v[kk];
  }
}

void pack_columns(const float* src, int k, int n, size_t stride, std::vector<float>& panels) {
  const int count = (n + kPanelWidth - 1) / kPanelWidth;
  panels.assign(static_cast<size_t>(count) * k * kPanelWidth, 0.0f);
  for (int p = 0; p < count; ++p) {
    float* dst = panels.data() + static_cast<size_t>(p) * k * kPanelWidth;
    const int width = std::min(kPanelWidth, n - p * kPanelWidth);
    for (int kk = 0; kk < k; ++kk) std::copy_n(src + kk * stride + p * kPanelWidth, width, dst + kk * kPanelWidth);
  }
}

void matmul(const Context& ctx, const float* a, int lda, int m, const float* b, int ldb, int k, int n, float* c, int ldc,
            bool accumulate) {
  std::vector<float> panels;
  pack_columns(b, k, n, ldb, panels);
  gemm_panels(ctx, a, lda, m, panels.data(), n, k, nullptr, c, ldc, accumulate);
}

void matmul_bt(const Context& ctx, const float* a, int lda, int m, const float* b, int ldb, int n, int k, float* c,
               int ldc, bool accumulate) {
  std::vector<float> panels;
  pack_rows(b, n, k, ldb, panels);
  gemm_panels(ctx, a, lda, m, panels.data(), n, k, nullptr, c, ldc, accumulate);
}

void rms_norm(const Context& ctx, const float* x, const float* weight, float* y, int rows, int dim, float eps) {
  ctx.pool.parallel_for(rows, [&](size_t begin, size_t end) {
    for (size_t r = begin; r < end; ++r) {
      const float* in = x + r * dim;
      float* out = y + r * dim;
      const float mean_square = ctx.kernels.dot(in, in, dim) / dim;
      const float scale = 1.0f / std::sqrt(mean_square + eps);
      for (int i = 0; i < dim; ++i) out[i] = in[i] * scale * weight[i];
    }
  });
}

void rope(const Context& ctx, float* x, const int32_t* positions, int rows, int heads, int head_dim, float theta,
          bool inverse, RopePairs pairs, int rotary_dim) {
  const float direction = inverse ? -1.0f : 1.0f;
  const int rotated = rotary_dim > 0 ? rotary_dim : head_dim;
  const int half = rotated / 2;
  std::vector<float> inv_freq(half);
  for (int i = 0; i < half; ++i) inv_freq[i] = 1.0f / std::pow(theta, static_cast<float>(2 * i) / rotated);
  ctx.pool.parallel_for(rows, [&](size_t begin, size_t end) {
    std::vector<float> cos_v(half), sin_v(half);
    for (size_t r = begin; r < end; ++r) {
      for (int i = 0; i < half; ++i) {
        const float angle = static_cast<float>(positions[r]) * inv_freq[i];
        cos_v[i] = std::cos(angle);
        sin_v[i] = direction * std::sin(angle);
      }
      // Each head, each pair (x1, x2) -> (x1 cos - x2 sin, x2 cos + x1 sin).
      const int first = pairs == RopePairs::Interleaved ? 2 : 1, second = pairs == RopePairs::Interleaved ? 1 : half;
      for (int h = 0; h < heads; ++h) {
        float* v = x + (r * heads + h) * head_dim;
        for (int i = 0; i < half; ++i) {
          float& a = v[first * i];
          float& b = v[first * i + second];
          const float x1 = a, x2 = b;
          a = x1 * cos_v[i] - x2 * sin_v[i];
          b = x2 * cos_v[i] + x1 * sin_v[i];
        }
      }
    }
  });
}

void silu_mul(const Context& ctx, const float* gate, const float* up, float* out, int64_t n) {
  ctx.pool.parallel_for(static_cast<size_t>(n), [&](size_t begin, size_t end) {
    ctx.kernels.silu_mul(gate + begin, up + begin, out + begin, end - begin);
  });
}

// Runs y[rows][n] = x[rows][k] · panels through the micro-kernel, one row tile at a time.
static void gemm_rows(const Kernels& kernels, const float* x, int ldx, int rows, const float* panels, int n, int k,
                      float* y, int ldy) {
  const RowTiles row_tiles(rows, kernels.tile_rows);
  for (int t = 0; t < row_tiles.count(); ++t) {
    const int r0 = row_tiles.first_row(t);
    for (int p = 0; p * kPanelWidth < n; ++p) {
      kernels.gemm_tile(x + static_cast<size_t>(r0) * ldx, ldx, row_tiles.rows(t),
                        panels + static_cast<size_t>(p) * k * kPanelWidth, k, nullptr,
                        y + static_cast<size_t>(r0) * ldy + p * kPanelWidth, ldy, std::min(kPanelWidth, n - p * kPanelWidth),
                        false);
    }
  }
}

void attention(const Context& ctx, const float* q, int rows, const float* keys, const float* values, int length,
               int heads, int kv_heads, int head_dim, float* out, float* probs) {
  const int group = heads / kv_heads;  // query heads that share one key/value head
  const size_t q_stride = static_cast<size_t>(heads) * head_dim, kv_stride = static_cast<size_t>(kv_heads) * head_dim;
  const float scale = 1.0f / std::sqrt(static_cast<float>(head_dim));
  // Per KV head: K as panels over keys (scores = Q·Kᵀ), V transposed as panels over head dims (out = P·V).
  std::vector<std::vector<float>> packed_keys(kv_heads), packed_values(kv_heads);
  ctx.pool.parallel_for(kv_heads, [&](size_t begin, size_t end) {
    for (size_t h = begin; h < end; ++h) {
      pack_rows(keys + h * head_dim, length, head_dim, kv_stride, packed_keys[h]);
      pack_columns(values + h * head_dim, length, head_dim, kv_stride, packed_values[h]);
    }
  });
  // Work item = (query head, tile of query rows); scores for the tile live in a [tile][length] buffer.
  const int kRowsPerItem = 4 * ctx.kernels.tile_rows;
  const int tiles = (rows + kRowsPerItem - 1) / kRowsPerItem;
  ctx.pool.parallel_for(static_cast<size_t>(heads) * tiles, [&](size_t begin, size_t end) {
    std::vector<float> scores(static_cast<size_t>(kRowsPerItem) * length);
    for (size_t item = begin; item < end; ++item) {
      const int h = static_cast<int>(item / tiles), r0 = static_cast<int>(item % tiles) * kRowsPerItem;
      const int n_rows = std::min(kRowsPerItem, rows - r0), kvh = h / group;
      const float* q_tile = q + r0 * q_stride + h * head_dim;
      gemm_rows(ctx.kernels, q_tile, static_cast<int>(q_stride), n_rows, packed_keys[kvh].data(), length, head_dim,
                scores.data(), length);
      // softmax over keys, row by row, with the 1/sqrt(d) scale folded in
      for (int r = 0; r < n_rows; ++r) {
        float* row = scores.data() + static_cast<size_t>(r) * length;
        float max_score = -std::numeric_limits<float>::infinity();
        for (int j = 0; j < length; ++j) max_score = std::max(max_score, row[j]);
        const float inv = 1.0f / ctx.kernels.exp_shifted(row, length, max_score, scale);
        for (int j = 0; j < length; ++j) row[j] *= inv;
        if (probs) std::copy_n(row, length, probs + (static_cast<size_t>(h) * rows + r0 + r) * length);
      }
      gemm_rows(ctx.kernels, scores.data(), length, n_rows, packed_values[kvh].data(), head_dim, length,
                out + r0 * q_stride + h * head_dim, static_cast<int>(q_stride));
    }
  });
}

// splitmix64: a counter-based generator, so draws depend only on (seed, position, step, token).
RowStats row_stats(float* logits, int vocab, const SamplingParams& sampling, uint64_t position, uint64_t step,
                   const uint8_t* allowed) {
  RowStats stats;
  const float minus_infinity = -std::numeric_limits<float>::infinity();
  for (int32_t token : sampling.suppress) {
    if (token >= 0 && token < vocab) logits[token] = minus_infinity;
  }
  // One pass: top-2 logits (a token the mask leaves out becomes −∞ on the way); then sum of exp and
  // of p·log p in double (vocabularies reach 150k).
  int best = 0;
  float top1 = minus_infinity, top2 = top1;
  for (int i = 0; i < vocab; ++i) {
    if (allowed && !allowed[i]) logits[i] = minus_infinity;
    const float v = logits[i];
    if (v > top1) {
      top2 = top1;
      top1 = v;
      best = i;
    } else if (v > top2) {
      top2 = v;
    }
  }
  double sum = 0, weighted = 0;  // sum e^(l-max), sum e^(l-max) * (l-max)
  for (int i = 0; i < vocab; ++i) {
    const double d = static_cast<double>(logits[i]) - top1;
    const double e = std::exp(d);
    sum += e;
    if (e > 0) weighted += e * d;  // a suppressed token (−∞) adds nothing, not 0 · −∞ = NaN
  }
  const double log_sum = std::log(sum);
  stats.argmax = best;
  stats.confidence = static_cast<float>(1.0 / sum);
  stats.margin = static_cast<float>((1.0 - std::exp(static_cast<double>(top2) - top1)) / sum);
  // H = -sum p log p with p = e^d / S:  H = log S - (sum e^d d) / S
  stats.entropy = static_cast<float>(log_sum - weighted / sum);
  stats.sample = best;
  stats.sample_prob = stats.confidence;
  if (sampling.temperature <= 0) return stats;

  // Candidates in order of logit, cut by top-k, then by top-p over the tempered distribution.
  std::vector<int32_t> order(vocab);
  std::iota(order.begin(), order.end(), 0);
  const int keep_k = sampling.top_k > 0 ? std::min(sampling.top_k, vocab) : vocab;
  const bool needs_order = keep_k < vocab || sampling.top_p < 1.0f;
  int kept = vocab;
  if (needs_order) {
    auto by_logit = [&](int32_t a, int32_t b) { return logits[a] > logits[b] || (logits[a] == logits[b] && a < b); };
    std::partial_sort(order.begin(), order.begin() + keep_k, order.end(), by_logit);
    kept = keep_k;
    if (sampling.top_p < 1.0f) {
      double tempered_sum = 0;
      for (int i = 0; i < kept; ++i) tempered_sum += std::exp((logits[order[i]] - top1) / sampling.temperature);
      double mass = 0;
      for (int i = 0; i < kept; ++i) {
        mass += std::exp((logits[order[i]] - top1) / sampling.temperature) / tempered_sum;
        if (mass >= sampling.top_p) {
          kept = i + 1;
          break;
        }
      }
    }
  }
  // Gumbel-max in double: argmax(l/T - log(-log u)) draws exactly from softmax(l/T).
  const uint64_t key = draw_key(sampling.seed, position, step);
  double best_score = -std::numeric_limits<double>::infinity();
  for (int i = 0; i < kept; ++i) {
    const int32_t token = order[i];
    const double u = token_uniform(key, token);
    const double score = static_cast<double>(logits[token]) / sampling.temperature - std::log(-std::log(u));
    if (score > best_score) {
      best_score = score;
      stats.sample = token;
    }
  }
  stats.sample_prob = static_cast<float>(std::exp(static_cast<double>(logits[stats.sample]) - top1) / sum);
  return stats;
}

}  // namespace anneal
