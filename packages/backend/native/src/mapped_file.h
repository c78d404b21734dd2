// A read-only memory map of a whole file; errors name the file.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

namespace anneal {

class MappedFile {
 public:
  explicit MappedFile(const std::string& path);
  ~MappedFile();
  MappedFile(const MappedFile&) = delete;
  MappedFile& operator=(const MappedFile&) = delete;

  const uint8_t* data() const { return data_; }
  size_t size() const { return size_; }
  const std::string& path() const { return path_; }

  // Hands the whole pages inside [start, start + bytes) back to the system once their bytes have been
  // copied elsewhere; a later read pages them in again from the file, so nothing is lost.
  static void release_pages(const uint8_t* start, size_t bytes);
  // Asks the system to read [start, start + bytes) ahead, for bytes about to be read through once.
  static void will_need(const uint8_t* start, size_t bytes);

 private:
  std::string path_;
  const uint8_t* data_ = nullptr;
  size_t size_ = 0;
};

}  // namespace anneal
