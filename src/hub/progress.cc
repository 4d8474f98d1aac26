#include "hub/progress.h"

#include <unistd.h>

#include <cstdio>

namespace vit::hub {

std::string FormatBytes(double bytes) {
  static constexpr const char* kUnits[] = {"B", "kB", "MB", "GB", "TB"};
  int unit = 0;
  while (bytes >= 1000.0 && unit < 4) {
    bytes /= 1000.0;
    ++unit;
  }
  char text[32];
  std::snprintf(text, sizeof(text), unit == 0 ? "%.0f %s" : "%.1f %s", bytes, kUnits[unit]);
  return text;
}

ProgressBar::ProgressBar(std::string name, int64_t total_bytes, int64_t initial_bytes, bool enabled)
    : name_(std::move(name)),
      total_(total_bytes),
      initial_(initial_bytes),
      done_(initial_bytes),
      enabled_(enabled && isatty(STDERR_FILENO) == 1),
      start_(std::chrono::steady_clock::now()),
      last_draw_(start_) {
  if (enabled_) Draw();
}

ProgressBar::~ProgressBar() {
  // An interrupted download leaves the line as it was; the next message starts on a new line.
  if (enabled_ && !finished_) std::fputc('\n', stderr);
}

void ProgressBar::Update(int64_t done_bytes) {
  done_ = done_bytes;
  if (!enabled_) return;
  const auto now = std::chrono::steady_clock::now();
  if (now - last_draw_ < std::chrono::milliseconds(100)) return;
  last_draw_ = now;
  Draw();
}

void ProgressBar::Finish() {
  if (!enabled_ || finished_) return;
  Draw();
  std::fputc('\n', stderr);
  finished_ = true;
}

void ProgressBar::Draw() {
  constexpr int kWidth = 30;
  const double fraction = total_ > 0 ? static_cast<double>(done_) / static_cast<double>(total_) : 1.0;
  const int filled = static_cast<int>(fraction * kWidth);
  std::string bar(static_cast<size_t>(filled), '#');
  bar.resize(kWidth, '.');
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
  const double rate = seconds > 0 ? static_cast<double>(done_ - initial_) / seconds : 0.0;
  // "\x1b[K" clears what a longer previous line left behind; the bar is only drawn on terminals.
  std::fprintf(stderr, "\r%s [%s] %3d%% %s/%s %s/s\x1b[K", name_.c_str(), bar.c_str(),
               static_cast<int>(fraction * 100), FormatBytes(static_cast<double>(done_)).c_str(),
               FormatBytes(static_cast<double>(total_)).c_str(), FormatBytes(rate).c_str());
  std::fflush(stderr);
}

}  // namespace vit::hub
