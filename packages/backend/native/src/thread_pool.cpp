// Fork-join over a fixed set of threads: each parallel_for wakes every worker once (a polling worker
// sees the job within a microsecond; a sleeping one is woken through the condition variable), and
// the threads take chunks of the range from a shared counter until none is left.
#include "thread_pool.h"

#include <algorithm>
#include <chrono>
#include <cstdlib>

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#define ANNEAL_CPU_RELAX() _mm_pause()
#else
#define ANNEAL_CPU_RELAX() std::this_thread::yield()
#endif

namespace anneal {

// Chunks per thread: enough that a thread which starts late hands its share to the others, few
// enough that each chunk is a long run of neighbouring items (a GEMM thread reuses a weight panel
// across the row tiles of one chunk).
constexpr size_t kChunksPerThread = 4;

static int spin_from_environment() {
  const char* value = std::getenv("ANNEAL_SPIN_US");
  if (value == nullptr || *value == '\0') return ThreadPool::kDefaultSpinUs;
  char* end = nullptr;
  const long parsed = std::strtol(value, &end, 10);
  if (*end != '\0' || parsed < 0) return ThreadPool::kDefaultSpinUs;
  return static_cast<int>(std::min(parsed, 1000000L));
}

ThreadPool::ThreadPool(size_t threads, int spin_us) : spin_us_(spin_us < 0 ? spin_from_environment() : spin_us) {
  if (threads == 0) threads = std::max<size_t>(1, std::thread::hardware_concurrency());
  for (size_t i = 1; i < threads; ++i) workers_.emplace_back([this] { worker_loop(); });
}

ThreadPool::~ThreadPool() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stopping_.store(true, std::memory_order_release);
  }
  work_ready_.notify_all();
  for (auto& worker : workers_) worker.join();
}

template <class Done>
void ThreadPool::wait_for(std::condition_variable& cv, const Done& done) {
  if (spin_us_ > 0) {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::microseconds(spin_us_);
    for (unsigned polls = 1;; ++polls) {
      if (done()) return;
      ANNEAL_CPU_RELAX();
      // Every 64 polls (a few microseconds, far below the spin time): read the clock, and offer the
      // core to any other runnable thread, so polling never starves a thread this one waits for
      // when there are more threads than cores (several models, or the trainer beside the server).
      if (polls % 64 == 0) {
        if (std::chrono::steady_clock::now() >= deadline) break;
        std::this_thread::yield();
      }
    }
  }
  std::unique_lock<std::mutex> lock(mutex_);
  cv.wait(lock, done);
}

void ThreadPool::run_chunks() {
  const auto& fn = *job_;
  for (;;) {
    const size_t chunk = next_chunk_.fetch_add(1, std::memory_order_relaxed);
    if (chunk >= chunk_count_) return;
    const size_t begin = chunk * chunk_items_;
    fn(begin, std::min(job_items_, begin + chunk_items_));
  }
}

void ThreadPool::parallel_for(size_t n, const std::function<void(size_t, size_t)>& fn) {
  if (n == 0) return;
  if (workers_.empty() || n == 1) {
    fn(0, n);
    return;
  }
  const size_t wanted = std::min(n, size() * kChunksPerThread);
  job_ = &fn;
  job_items_ = n;
  chunk_items_ = (n + wanted - 1) / wanted;
  chunk_count_ = (n + chunk_items_ - 1) / chunk_items_;
  next_chunk_.store(0, std::memory_order_relaxed);
  pending_.store(workers_.size(), std::memory_order_relaxed);
  {
    // Under the mutex, so a worker between checking the generation and sleeping cannot miss it.
    std::lock_guard<std::mutex> lock(mutex_);
    generation_.fetch_add(1, std::memory_order_release);
  }
  work_ready_.notify_all();
  run_chunks();
  wait_for(work_done_, [this] { return pending_.load(std::memory_order_acquire) == 0; });
  job_ = nullptr;
}

void ThreadPool::worker_loop() {
  size_t seen = 0;
  for (;;) {
    wait_for(work_ready_, [&] {
      return stopping_.load(std::memory_order_acquire) || generation_.load(std::memory_order_acquire) != seen;
    });
    if (stopping_.load(std::memory_order_acquire)) return;
    seen = generation_.load(std::memory_order_acquire);
    run_chunks();
    if (pending_.fetch_sub(1, std::memory_order_acq_rel) == 1) {
      // Taking the mutex orders this with a caller that checked `pending_` and is about to sleep.
      { std::lock_guard<std::mutex> lock(mutex_); }
      work_done_.notify_one();
    }
  }
}

}  // namespace anneal
