// Where a forward pass spends its device time, phase by phase (anneal-cuda-check --bench prints
// it): an event after each phase, and once the pass has synchronised, the time between consecutive
// events goes to the later phase. Off unless asked for, since the events cost a little themselves.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "common.cuh"

namespace anneal::cuda {

class PhaseTimer {
 public:
  explicit PhaseTimer(bool enabled) : enabled_(enabled) {}
  PhaseTimer(const PhaseTimer&) = delete;
  PhaseTimer& operator=(const PhaseTimer&) = delete;
  ~PhaseTimer() {
    for (cudaEvent_t event : events_) cudaEventDestroy(event);
  }

  void begin(cudaStream_t stream) {
    used_ = 0;
    names_.clear();
    mark("start", stream);
  }
  void mark(const char* phase, cudaStream_t stream) {
    if (!enabled_) return;
    if (used_ == events_.size()) {
      events_.emplace_back();
      check(cudaEventCreate(&events_.back()), "profile event");
    }
    check(cudaEventRecord(events_[used_++], stream), "profile event");
    names_.push_back(phase);
  }
  // After the stream has synchronised: adds this pass's phase times to the totals.
  void collect() {
    for (size_t i = 1; i < used_; ++i) {
      float ms = 0;
      check(cudaEventElapsedTime(&ms, events_[i - 1], events_[i]), "profile event");
      seconds_[names_[i]] += ms / 1e3;
    }
    used_ = 0;
  }
  const std::map<std::string, double>& seconds() const { return seconds_; }
  void reset() { seconds_.clear(); }

 private:
  bool enabled_;
  std::vector<cudaEvent_t> events_;
  std::vector<const char*> names_;
  size_t used_ = 0;
  std::map<std::string, double> seconds_;
};

}  // namespace anneal::cuda
