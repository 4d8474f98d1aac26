// A one-line download progress bar on stderr, drawn only when stderr is a terminal, so logs and
// pipes stay clean. Redraws at most ten times a second.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <utility>

namespace vit::hub {

class ProgressBar {
 public:
  // `enabled` is the caller's wish; the bar also needs stderr to be a terminal.
  ProgressBar(std::string name, int64_t total_bytes, int64_t initial_bytes, bool enabled);
  ~ProgressBar();
  ProgressBar(const ProgressBar&) = delete;
  ProgressBar& operator=(const ProgressBar&) = delete;

  void Update(int64_t done_bytes);
  // Draws the final state and ends the line.
  void Finish();

 private:
  void Draw();

  std::string name_;
  int64_t total_;
  int64_t initial_;
  int64_t done_;
  bool enabled_;
  bool finished_ = false;
  std::chrono::steady_clock::time_point start_;
  std::chrono::steady_clock::time_point last_draw_;
};

// "12.3 MB" style, decimal units as huggingface_hub's tqdm shows them.
std::string FormatBytes(double bytes);

}  // namespace vit::hub
