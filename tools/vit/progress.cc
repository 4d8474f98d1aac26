#include "progress.h"

#include <unistd.h>

#include <cmath>
#include <cstdio>

#include "verbosity.h"

namespace vit::tool {

std::string FormatDuration(double seconds) {
  const auto s = static_cast<long long>(std::llround(std::max(0.0, seconds)));
  char text[48];
  if (s < 60) std::snprintf(text, sizeof text, "%lld s", s);
  else if (s < 3600) std::snprintf(text, sizeof text, "%lld min %02lld s", s / 60, s % 60);
  else std::snprintf(text, sizeof text, "%lld h %02lld min", s / 3600, (s % 3600) / 60);
  return text;
}

std::string ProgressLine(int64_t done, int64_t total, double rate) {
  const double percent = total > 0 ? 100.0 * static_cast<double>(done) / static_cast<double>(total) : 100.0;
  char head[96];
  std::snprintf(head, sizeof head, "%lld/%lld (%.0f%%)", static_cast<long long>(done), static_cast<long long>(total),
                percent);
  std::string line = head;
  if (rate > 0) {
    char r[48];
    std::snprintf(r, sizeof r, ", %.2f images/s", rate);
    line += r;
    if (done < total) line += ", " + FormatDuration(static_cast<double>(total - done) / rate) + " left";
  }
  return line;
}

Progress::Progress(std::string what, int64_t total)
    : what_(std::move(what)), total_(total), in_place_(isatty(STDERR_FILENO) == 1),
      start_(std::chrono::steady_clock::now()) {
  enabled_ = !Quiet() && (in_place_ || Verbose());
}

Progress::~Progress() { Finish(); }

void Progress::Start(int64_t already_done) {
  baseline_ = already_done;
  start_ = std::chrono::steady_clock::now();
  if (already_done > 0) Update(already_done);
}

void Progress::Update(int64_t done) {
  if (!enabled_ || finished_) return;
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
  const double rate = seconds > 0 && done > baseline_ ? static_cast<double>(done - baseline_) / seconds : 0.0;
  const std::string line = what_ + ": " + ProgressLine(done, total_, rate);
  if (in_place_) std::fprintf(stderr, "\r%s\033[K", line.c_str());
  else std::fprintf(stderr, "%s\n", line.c_str());
  std::fflush(stderr);
}

void Progress::Finish() {
  if (enabled_ && in_place_ && !finished_) std::fputc('\n', stderr);
  finished_ = true;
}

}  // namespace vit::tool
