// A one-line progress report on stderr, redrawn in place on a terminal and silent otherwise.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

namespace vit::tool {

class Progress {
 public:
  Progress(std::string what, int64_t total);
  ~Progress();
  void Update(int64_t done);
  void Finish();

 private:
  std::string what_;
  int64_t total_;
  bool enabled_;
  bool finished_ = false;
  std::chrono::steady_clock::time_point start_;
};

}  // namespace vit::tool
