// POSIX mmap of checkpoint shards: the OS pages weights in as they are converted.
#include "mapped_file.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>

namespace anneal {

MappedFile::MappedFile(const std::string& path) : path_(path) {
  const int fd = ::open(path.c_str(), O_RDONLY);
  if (fd < 0) throw std::runtime_error(path + ": cannot open (" + std::strerror(errno) + ")");
  struct stat info;
  if (::fstat(fd, &info) != 0) {
    const int error = errno;
    ::close(fd);
    throw std::runtime_error(path + ": cannot stat (" + std::strerror(error) + ")");
  }
  size_ = static_cast<size_t>(info.st_size);
  if (size_ > 0) {
    void* mapped = ::mmap(nullptr, size_, PROT_READ, MAP_PRIVATE, fd, 0);
    if (mapped == MAP_FAILED) {
      const int error = errno;
      ::close(fd);
      throw std::runtime_error(path + ": cannot map (" + std::strerror(error) + ")");
    }
    data_ = static_cast<const uint8_t*>(mapped);
  }
  ::close(fd);
}

// The whole pages inside [start, start + bytes) (inward) or covering it (outward), as [first, end).
static void page_range(const uint8_t* start, size_t bytes, bool inward, uintptr_t& first, uintptr_t& end) {
  const uintptr_t page = static_cast<uintptr_t>(::sysconf(_SC_PAGESIZE));
  const uintptr_t from = reinterpret_cast<uintptr_t>(start), to = from + bytes;
  first = inward ? (from + page - 1) / page * page : from / page * page;
  end = inward ? to / page * page : (to + page - 1) / page * page;
}

// Both are advice only: where the system declines, pages stay resident or are read on first touch.
void MappedFile::release_pages(const uint8_t* start, size_t bytes) {
  uintptr_t first, end;
  page_range(start, bytes, true, first, end);
  if (end > first) ::madvise(reinterpret_cast<void*>(first), end - first, MADV_DONTNEED);
}

void MappedFile::will_need(const uint8_t* start, size_t bytes) {
  uintptr_t first, end;
  page_range(start, bytes, false, first, end);
  if (end > first) ::madvise(reinterpret_cast<void*>(first), end - first, MADV_WILLNEED);
}

MappedFile::~MappedFile() {
  if (data_) ::munmap(const_cast<uint8_t*>(data_), size_);
}

}  // namespace anneal
