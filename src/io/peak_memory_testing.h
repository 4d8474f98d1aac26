// Peak resident memory of this process, for the tests that bound what hostile input may take.
// Linux keeps the peak (VmHWM); writing 5 to /proc/self/clear_refs resets it to the current size.
#pragma once

#include <cstdint>
#include <fstream>
#include <string>

namespace vit::testing {

inline int64_t ProcStatusBytes(const char* field) {
  std::ifstream status("/proc/self/status");
  std::string line;
  const std::string prefix = std::string(field) + ":";
  while (std::getline(status, line)) {
    if (line.rfind(prefix, 0) == 0) return std::stoll(line.substr(prefix.size())) * 1024;  // "  1234 kB"
  }
  return -1;
}

// How far the peak rose above the resident size at the start while `fn` ran.
template <typename Fn>
int64_t PeakRssGrowth(Fn&& fn) {
  std::ofstream("/proc/self/clear_refs") << "5";
  const int64_t before = ProcStatusBytes("VmRSS");
  fn();
  return ProcStatusBytes("VmHWM") - before;
}

}  // namespace vit::testing
