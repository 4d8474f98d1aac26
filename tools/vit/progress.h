// A progress report on stderr: redrawn in place on a terminal; with -v also when stderr is not a terminal,
// one line per update; nothing with -q. Counts only work done (callers update after a batch has run), with
// the rate and the time left measured from the work done since Start.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

namespace vit::tool {

// "42 s", "3 min 05 s", "2 h 07 min".
std::string FormatDuration(double seconds);
// "12/40 (30%), 3.10 images/s, 9 s left": the line without the command's name. `rate` in items per second
// (0: not known yet).
std::string ProgressLine(int64_t done, int64_t total, double rate);

class Progress {
 public:
  Progress(std::string what, int64_t total);
  ~Progress();
  // Items already done before any work (e.g. served from a cache): counted, but not in the rate.
  void Start(int64_t already_done);
  void Update(int64_t done);
  void Finish();

 private:
  std::string what_;
  int64_t total_;
  bool enabled_;
  bool in_place_;
  bool finished_ = false;
  int64_t baseline_ = 0;
  std::chrono::steady_clock::time_point start_;
};

}  // namespace vit::tool
