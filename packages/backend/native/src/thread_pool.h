// A fixed pool of worker threads with one operation: split a range of work items across them.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstddef>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace anneal {

class ThreadPool {
 public:
  // threads == 0 means one per hardware thread. spin_us: how long an idle worker (and a caller
  // waiting for the workers) polls before it sleeps; < 0 reads ANNEAL_SPIN_US (default kDefaultSpinUs).
  explicit ThreadPool(size_t threads = 0, int spin_us = -1);
  ~ThreadPool();
  ThreadPool(const ThreadPool&) = delete;
  ThreadPool& operator=(const ThreadPool&) = delete;

  size_t size() const { return workers_.size() + 1; }
  int spin_us() const { return spin_us_; }

  // Calls fn(begin, end) on disjoint chunks covering [0, n); the calling thread takes a share.
  // Returns when every chunk is done. Not re-entrant: one parallel_for at a time per pool.
  // Chunks are handed out first come, first served, so a thread that starts late takes fewer; which
  // thread runs a chunk never changes what it computes.
  void parallel_for(size_t n, const std::function<void(size_t, size_t)>& fn);

  // A forward pass is a few hundred parallel_for calls a few microseconds apart: waking a sleeping
  // thread costs tens of microseconds (more in a VM), so workers poll this long before sleeping.
  static constexpr int kDefaultSpinUs = 200;

 private:
  void worker_loop();
  void run_chunks();
  // Polls `done` for up to spin_us_, then sleeps on `cv` until it holds; true once it holds.
  template <class Done>
  void wait_for(std::condition_variable& cv, const Done& done);

  std::vector<std::thread> workers_;
  int spin_us_;
  std::mutex mutex_;
  std::condition_variable work_ready_;
  std::condition_variable work_done_;
  // The current job: written by the caller before `generation_` is bumped (release), read by workers
  // after they see the new generation (acquire).
  const std::function<void(size_t, size_t)>* job_ = nullptr;
  size_t job_items_ = 0;
  size_t chunk_items_ = 1;
  size_t chunk_count_ = 0;
  std::atomic<size_t> next_chunk_{0};
  std::atomic<size_t> generation_{0};
  std::atomic<size_t> pending_{0};  // workers that have not finished the current job
  std::atomic<bool> stopping_{false};
};

}  // namespace anneal
