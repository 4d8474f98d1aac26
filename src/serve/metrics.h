// Server metrics in the Prometheus text exposition format (version 0.0.4): requests by route and
// status, request latency, batch sizes and durations, queue depth, and images per second.
#pragma once

#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

namespace vit::serve {

// A cumulative histogram with fixed upper bounds (the +Inf bucket is implicit).
class Histogram {
 public:
  explicit Histogram(std::vector<double> bounds);
  void Observe(double value);
  // Appends the _bucket, _sum and _count lines of `name`; `labels` like `route="/embed"` or empty.
  void Render(std::string& out, const std::string& name, const std::string& labels) const;

 private:
  std::vector<double> bounds_;
  std::vector<uint64_t> counts_;  // per bucket, not cumulative; the last one is +Inf
  double sum_ = 0.0;
  uint64_t count_ = 0;
};

class Metrics {
 public:
  using Clock = std::chrono::steady_clock;
  // `images_window`: the span over which vit_images_per_second is averaged.
  explicit Metrics(std::chrono::seconds images_window = std::chrono::seconds(10));

  void ObserveRequest(const std::string& route, int status, double seconds);
  void ObserveBatch(int batch_size, double seconds);
  void RequestStarted();
  void RequestFinished();
  // Gauges read when the page is rendered.
  void SetQueueDepthSource(std::function<size_t()> source);

  std::string Render() const;

 private:
  double ImagesPerSecond(Clock::time_point now) const;

  mutable std::mutex mutex_;
  const std::chrono::seconds images_window_;
  const Clock::time_point started_ = Clock::now();
  std::map<std::pair<std::string, int>, uint64_t> requests_;  // (route, status) -> count
  std::map<std::string, Histogram> latency_;                  // route -> seconds
  Histogram batch_size_;
  Histogram batch_seconds_;
  uint64_t images_ = 0;
  uint64_t batches_ = 0;
  int64_t in_flight_ = 0;
  mutable std::deque<std::pair<Clock::time_point, int>> recent_batches_;  // for images per second
  std::function<size_t()> queue_depth_;
};

// Counts a request in vit_requests_in_flight for the scope's lifetime.
class InFlight {
 public:
  explicit InFlight(Metrics& metrics) : metrics_(metrics) { metrics_.RequestStarted(); }
  ~InFlight() { metrics_.RequestFinished(); }
  InFlight(const InFlight&) = delete;
  InFlight& operator=(const InFlight&) = delete;

 private:
  Metrics& metrics_;
};

}  // namespace vit::serve
