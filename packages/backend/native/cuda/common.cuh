// What every CUDA file shares: error checks that throw (so a failing device becomes a JavaScript
// Error, never a crash), device buffers that free themselves, and BF16 helpers.
#pragma once

#include <cuda_bf16.h>
#include <cuda_runtime.h>

#include <cstddef>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

namespace anneal::cuda {

using bf16 = __nv_bfloat16;

inline void check(cudaError_t status, const char* what) {
  if (status != cudaSuccess) {
    cudaGetLastError();  // clear a sticky launch error so the next call reports its own
    throw std::runtime_error(std::string("CUDA: ") + what + ": " + cudaGetErrorString(status));
  }
}

// Checks the launch just made (kernel launches report errors only through cudaGetLastError).
inline void check_launch(const char* kernel) { check(cudaGetLastError(), kernel); }

// Device memory for `n` values of T, freed on destruction; grows (never shrinks) through reserve().
template <typename T>
class DeviceBuffer {
 public:
  DeviceBuffer() = default;
  explicit DeviceBuffer(size_t n) { reserve(n); }
  DeviceBuffer(const DeviceBuffer&) = delete;
  DeviceBuffer& operator=(const DeviceBuffer&) = delete;
  DeviceBuffer(DeviceBuffer&& other) noexcept : data_(std::exchange(other.data_, nullptr)), size_(std::exchange(other.size_, 0)) {}
  DeviceBuffer& operator=(DeviceBuffer&& other) noexcept {
    std::swap(data_, other.data_);
    std::swap(size_, other.size_);
    return *this;
  }
  ~DeviceBuffer() {
    if (data_) cudaFree(data_);
  }
  void reserve(size_t n) {
    if (n <= size_) return;
    if (data_) cudaFree(data_);
    data_ = nullptr;
    size_ = 0;
    check(cudaMalloc(&data_, n * sizeof(T)), "cudaMalloc");
    size_ = n;
  }
  void upload(const T* host, size_t n, cudaStream_t stream = nullptr) {
    if (n == 0) return;
    reserve(n);
    check(cudaMemcpyAsync(data_, host, n * sizeof(T), cudaMemcpyHostToDevice, stream), "upload");
  }
  void upload(const std::vector<T>& host, cudaStream_t stream = nullptr) { upload(host.data(), host.size(), stream); }
  T* get() const { return data_; }
  size_t size() const { return size_; }

 private:
  T* data_ = nullptr;
  size_t size_ = 0;
};

inline std::vector<bf16> to_bf16(const std::vector<float>& values) {
  std::vector<bf16> out(values.size());
  for (size_t i = 0; i < values.size(); ++i) out[i] = __float2bfloat16(values[i]);
  return out;
}

template <typename T>
std::vector<T> download(const T* device, size_t n) {
  std::vector<T> host(n);
  if (n > 0) check(cudaMemcpy(host.data(), device, n * sizeof(T), cudaMemcpyDeviceToHost), "download");
  return host;
}

inline int blocks_for(size_t n, int threads) { return static_cast<int>((n + threads - 1) / threads); }

}  // namespace anneal::cuda
