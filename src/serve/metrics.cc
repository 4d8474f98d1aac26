#include "serve/metrics.h"

#include <malloc.h>
#include <unistd.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <fstream>

namespace vit::serve {
namespace {

const std::vector<double> kLatencyBounds = {0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60};
const std::vector<double> kBatchSizeBounds = {1, 2, 4, 8, 16, 32, 64, 128, 256};

std::string Number(double v) {
  if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
  if (std::isnan(v)) return "NaN";
  char buffer[32];
  const auto r = std::to_chars(buffer, buffer + sizeof(buffer), v);
  return std::string(buffer, r.ptr);
}

// Label values escape backslash, quote and newline.
std::string Escape(const std::string& value) {
  std::string out;
  for (char c : value) {
    if (c == '\\' || c == '"') out += '\\';
    if (c == '\n') {
      out += "\\n";
      continue;
    }
    out += c;
  }
  return out;
}

void Header(std::string& out, const char* name, const char* type, const char* help) {
  out += "# HELP ";
  out += name;
  out += ' ';
  out += help;
  out += "\n# TYPE ";
  out += name;
  out += ' ';
  out += type;
  out += '\n';
}

// Resident memory from /proc/self/statm (pages), as Prometheus clients name it; 0 if unreadable.
double ResidentBytes() {
  std::ifstream statm("/proc/self/statm");
  uint64_t size = 0, resident = 0;
  if (!(statm >> size >> resident)) return 0;
  return static_cast<double>(resident) * static_cast<double>(sysconf(_SC_PAGESIZE));
}

// Bytes the allocator has handed out and not got back: a leak grows it, fragmentation grows only RSS.
double HeapInUseBytes() {
#if defined(__GLIBC__) && (__GLIBC__ > 2 || (__GLIBC__ == 2 && __GLIBC_MINOR__ >= 33))
  const struct mallinfo2 info = mallinfo2();
  return static_cast<double>(info.uordblks + info.hblkhd);
#else
  return 0;
#endif
}

}  // namespace

Histogram::Histogram(std::vector<double> bounds) : bounds_(std::move(bounds)), counts_(bounds_.size() + 1, 0) {}

void Histogram::Observe(double value) {
  const auto it = std::lower_bound(bounds_.begin(), bounds_.end(), value);  // first bound >= value: le
  ++counts_[static_cast<size_t>(it - bounds_.begin())];
  sum_ += value;
  ++count_;
}

void Histogram::Render(std::string& out, const std::string& name, const std::string& labels) const {
  const std::string sep = labels.empty() ? "" : ",";
  uint64_t cumulative = 0;
  for (size_t i = 0; i <= bounds_.size(); ++i) {
    cumulative += counts_[i];
    out += name + "_bucket{" + labels + sep + "le=\"" + (i < bounds_.size() ? Number(bounds_[i]) : "+Inf") +
           "\"} " + std::to_string(cumulative) + "\n";
  }
  const std::string braces = labels.empty() ? "" : "{" + labels + "}";
  out += name + "_sum" + braces + " " + Number(sum_) + "\n";
  out += name + "_count" + braces + " " + std::to_string(count_) + "\n";
}

Metrics::Metrics(std::chrono::seconds images_window)
    : images_window_(images_window), batch_size_(kBatchSizeBounds), batch_seconds_(kLatencyBounds) {}

void Metrics::ObserveRequest(const std::string& route, int status, double seconds) {
  std::lock_guard lock(mutex_);
  ++requests_[{route, status}];
  latency_.try_emplace(route, kLatencyBounds).first->second.Observe(seconds);
}

void Metrics::ObserveBatch(int batch_size, double seconds) {
  const auto now = Clock::now();
  std::lock_guard lock(mutex_);
  batch_size_.Observe(batch_size);
  batch_seconds_.Observe(seconds);
  images_ += static_cast<uint64_t>(batch_size);
  ++batches_;
  recent_batches_.emplace_back(now, batch_size);
  while (!recent_batches_.empty() && recent_batches_.front().first < now - images_window_)
    recent_batches_.pop_front();
}

void Metrics::RequestStarted() {
  std::lock_guard lock(mutex_);
  ++in_flight_;
}

void Metrics::RequestFinished() {
  std::lock_guard lock(mutex_);
  --in_flight_;
}

void Metrics::SetQueueDepthSource(std::function<size_t()> source) {
  std::lock_guard lock(mutex_);
  queue_depth_ = std::move(source);
}

double Metrics::ImagesPerSecond(Clock::time_point now) const {
  while (!recent_batches_.empty() && recent_batches_.front().first < now - images_window_)
    recent_batches_.pop_front();
  uint64_t images = 0;
  for (const auto& [when, n] : recent_batches_) images += static_cast<uint64_t>(n);
  // Right after start the window is shorter than images_window_.
  const double span = std::min(std::chrono::duration<double>(images_window_).count(),
                               std::chrono::duration<double>(now - started_).count());
  return span > 0 ? static_cast<double>(images) / span : 0.0;
}

std::string Metrics::Render() const {
  std::function<size_t()> queue_depth;
  {
    std::lock_guard lock(mutex_);
    queue_depth = queue_depth_;
  }
  const size_t depth = queue_depth ? queue_depth() : 0;  // outside our lock: it takes the batcher's

  std::lock_guard lock(mutex_);
  std::string out;
  Header(out, "vit_requests_total", "counter", "HTTP requests answered, by route and status.");
  for (const auto& [key, count] : requests_)
    out += "vit_requests_total{route=\"" + Escape(key.first) + "\",status=\"" + std::to_string(key.second) +
           "\"} " + std::to_string(count) + "\n";
  Header(out, "vit_request_duration_seconds", "histogram", "Time from request read to response ready.");
  for (const auto& [route, histogram] : latency_)
    histogram.Render(out, "vit_request_duration_seconds", "route=\"" + Escape(route) + "\"");
  Header(out, "vit_requests_in_flight", "gauge", "Requests being served now.");
  out += "vit_requests_in_flight " + std::to_string(in_flight_) + "\n";
  Header(out, "vit_queue_depth", "gauge", "Images waiting for the model.");
  out += "vit_queue_depth " + std::to_string(depth) + "\n";
  Header(out, "vit_batch_size", "histogram", "Images per model run.");
  batch_size_.Render(out, "vit_batch_size", "");
  Header(out, "vit_batch_duration_seconds", "histogram", "Time of one model run.");
  batch_seconds_.Render(out, "vit_batch_duration_seconds", "");
  Header(out, "vit_images_total", "counter", "Images run through the model.");
  out += "vit_images_total " + std::to_string(images_) + "\n";
  Header(out, "vit_batches_total", "counter", "Model runs.");
  out += "vit_batches_total " + std::to_string(batches_) + "\n";
  Header(out, "vit_images_per_second", "gauge", "Images run through the model per second, over the last window.");
  out += "vit_images_per_second " + Number(ImagesPerSecond(Clock::now())) + "\n";
  Header(out, "process_resident_memory_bytes", "gauge", "Resident memory of the server process.");
  out += "process_resident_memory_bytes " + Number(ResidentBytes()) + "\n";
  Header(out, "vit_heap_in_use_bytes", "gauge", "Heap memory allocated and not freed (glibc mallinfo2).");
  out += "vit_heap_in_use_bytes " + Number(HeapInUseBytes()) + "\n";
  return out;
}

}  // namespace vit::serve
