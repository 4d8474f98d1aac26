#include "progress.h"

#include <unistd.h>

#include <cstdio>

namespace vit::tool {

Progress::Progress(std::string what, int64_t total)
    : what_(std::move(what)), total_(total), enabled_(isatty(STDERR_FILENO) == 1),
      start_(std::chrono::steady_clock::now()) {}

Progress::~Progress() { Finish(); }

void Progress::Update(int64_t done) {
  if (!enabled_) return;
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
  const double rate = seconds > 0 ? static_cast<double>(done) / seconds : 0.0;
  const double eta = rate > 0 ? static_cast<double>(total_ - done) / rate : 0.0;
  std::fprintf(stderr, "\r%s: %lld/%lld (%.0f%%), %.2f/s, %.0f s left   ", what_.c_str(), static_cast<long long>(done),
               static_cast<long long>(total_), total_ ? 100.0 * static_cast<double>(done) / static_cast<double>(total_) : 100.0,
               rate, eta);
  std::fflush(stderr);
}

void Progress::Finish() {
  if (enabled_ && !finished_) std::fputc('\n', stderr);
  finished_ = true;
}

}  // namespace vit::tool
