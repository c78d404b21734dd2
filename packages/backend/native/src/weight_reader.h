// Reads checkpoint tensors out of memory-mapped files, checking shape and bounds; errors name the
// file and the tensor.
#pragma once

#include <cstring>
#include <map>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "dtype.h"
#include "mapped_file.h"

namespace anneal {

// Where one tensor lives: a file, a byte range, a dtype and a shape (checked against the config).
struct TensorSource {
  std::string name;  // the checkpoint's name, for error messages
  int file = 0;
  size_t offset = 0;
  DType dtype = DType::F32;
  std::vector<int64_t> shape;
  // > 0: a q or k projection whose rows llama.cpp's converter permuted into interleaved RoPE pairs,
  // heads of this many rows. Copies (read, read16) are put back in rotate-half order; views are not.
  int interleaved_head_dim = 0;
};

// Rows of `matrix` (rows × cols) from llama.cpp's interleaved order back to rotate-half: within each
// head of head_dim rows, row 2i + j came from row j · head_dim/2 + i.
template <class Element>
void unpermute_rope_rows(std::vector<Element>& matrix, size_t rows, int head_dim) {
  if (head_dim <= 0 || head_dim % 2 != 0 || rows % head_dim != 0) throw std::invalid_argument("bad interleaved rope rows");
  const size_t cols = matrix.size() / rows, half = head_dim / 2;
  std::vector<Element> original(matrix.size());
  for (size_t r = 0; r < rows; ++r) {
    const size_t head = r / head_dim, within = r % head_dim;
    const size_t from = head * head_dim + (within % half) * 2 + within / half;
    std::copy_n(matrix.data() + from * cols, cols, original.data() + r * cols);
  }
  matrix = std::move(original);
}

inline std::string shape_string(const std::vector<int64_t>& shape) {
  std::string out = "[";
  for (size_t i = 0; i < shape.size(); ++i) out += (i ? ", " : "") + std::to_string(shape[i]);
  return out + "]";
}

// Reads tensors, checking shape and bounds: converted to float32, or 16-bit ones as stored.
class WeightReader {
 public:
  WeightReader(const std::vector<std::string>& files, const std::map<std::string, TensorSource>& tensors)
      : tensors_(tensors) {
    for (const auto& path : files) files_.push_back(std::make_shared<MappedFile>(path));
  }

  bool has(const std::string& key) const { return tensors_.count(key) > 0; }

  // The dtype the checkpoint stores `key` in.
  DType dtype(const std::string& key) const { return source(key).dtype; }
  // Whether `key`'s rows are in llama.cpp's interleaved RoPE order (see TensorSource).
  bool interleaved(const std::string& key) const { return source(key).interleaved_head_dim > 0; }

  // The tensor converted to float32 (quantized ones dequantized), rows in rotate-half order.
  std::vector<float> read(const std::string& key, const std::vector<int64_t>& expected) {
    const auto [bytes, t, count] = locate(key, expected);
    std::vector<float> out(count);
    convert_to_f32(bytes, t.dtype, count, out.data());
    if (t.interleaved_head_dim > 0) unpermute_rope_rows(out, static_cast<size_t>(expected[0]), t.interleaved_head_dim);
    return out;
  }

  // A BF16 or F16 tensor's elements as stored (16-bit patterns), not converted; rows in rotate-half order.
  std::vector<uint16_t> read16(const std::string& key, const std::vector<int64_t>& expected) {
    const auto [bytes, t, count] = locate(key, expected);
    if (dtype_size(t.dtype) != 2 || is_quantized(t.dtype)) throw std::invalid_argument(t.name + ": not a 16-bit tensor");
    std::vector<uint16_t> out(count);
    std::memcpy(out.data(), bytes, count * 2);
    if (t.interleaved_head_dim > 0) unpermute_rope_rows(out, static_cast<size_t>(expected[0]), t.interleaved_head_dim);
    return out;
  }

  // The tensor's bytes where they lie in the mapped file (checked like read), for use in place; the
  // returned handle keeps the file mapped. Rows stay in the file's order.
  struct View {
    const uint8_t* bytes;
    std::shared_ptr<const void> file;
  };
  View view(const std::string& key, const std::vector<int64_t>& expected) const {
    const auto [bytes, t, count] = locate(key, expected);
    (void)count;
    return {bytes, files_[t.file]};
  }

 private:
  const TensorSource& source(const std::string& key) const {
    auto found = tensors_.find(key);
    if (found == tensors_.end()) throw std::invalid_argument("missing tensor for " + key);
    return found->second;
  }

  struct Located {
    const uint8_t* bytes;
    const TensorSource& tensor;
    size_t count;
  };

  // Checks the tensor's file, shape and bounds; where its bytes are.
  Located locate(const std::string& key, const std::vector<int64_t>& expected) const {
    const TensorSource& t = source(key);
    if (t.file < 0 || t.file >= static_cast<int>(files_.size())) {
      throw std::invalid_argument(t.name + ": file index out of range");
    }
    const MappedFile& file = *files_[t.file];
    if (t.shape != expected) {
      throw std::invalid_argument(file.path() + ": tensor " + t.name + " has shape " + shape_string(t.shape) +
                                  ", expected " + shape_string(expected));
    }
    size_t count = 1;
    for (int64_t d : expected) count *= static_cast<size_t>(d);
    // Blocks run along rows: each row must be whole blocks.
    const size_t row = expected.empty() ? 1 : static_cast<size_t>(expected.back());
    if (tensor_bytes(t.dtype, row) == 0) {
      throw std::invalid_argument(file.path() + ": tensor " + t.name + " is " + dtype_name(t.dtype) + ", whose rows need a multiple of " +
                                  std::to_string(block_elements(t.dtype)) + " values, not " + std::to_string(row));
    }
    const size_t bytes = tensor_bytes(t.dtype, count);
    if (t.offset > file.size() || bytes > file.size() - t.offset) {
      throw std::invalid_argument(file.path() + ": tensor " + t.name + " runs past the end of the file");
    }
    return {file.data() + t.offset, t, count};
  }

  const std::map<std::string, TensorSource>& tensors_;
  std::vector<std::shared_ptr<MappedFile>> files_;
};


}  // namespace anneal
