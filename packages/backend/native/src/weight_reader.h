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
};

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
    for (const auto& path : files) files_.push_back(std::make_unique<MappedFile>(path));
  }

  bool has(const std::string& key) const { return tensors_.count(key) > 0; }

  // The dtype the checkpoint stores `key` in.
  DType dtype(const std::string& key) const { return source(key).dtype; }

  // The tensor converted to float32.
  std::vector<float> read(const std::string& key, const std::vector<int64_t>& expected) {
    const auto [bytes, t, count] = locate(key, expected);
    std::vector<float> out(count);
    convert_to_f32(bytes, t.dtype, count, out.data());
    return out;
  }

  // A BF16 or F16 tensor's elements as stored (16-bit patterns), not converted.
  std::vector<uint16_t> read16(const std::string& key, const std::vector<int64_t>& expected) {
    const auto [bytes, t, count] = locate(key, expected);
    if (dtype_size(t.dtype) != 2) throw std::invalid_argument(t.name + ": not a 16-bit tensor");
    std::vector<uint16_t> out(count);
    std::memcpy(out.data(), bytes, count * 2);
    return out;
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
    const size_t bytes = count * dtype_size(t.dtype);
    if (t.offset > file.size() || bytes > file.size() - t.offset) {
      throw std::invalid_argument(file.path() + ": tensor " + t.name + " runs past the end of the file");
    }
    return {file.data() + t.offset, t, count};
  }

  const std::map<std::string, TensorSource>& tensors_;
  std::vector<std::unique_ptr<MappedFile>> files_;
};


}  // namespace anneal
