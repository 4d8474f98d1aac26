// Runs a fuzz target over files and folders of inputs, for builds without libFuzzer (g++): CI
// replays the seed corpus this way, under the sanitizers when VIT_SANITIZE is on. It takes libFuzzer's
// limits with libFuzzer's spelling: -rss_limit_mb=N fails an input during which the process's peak
// resident memory passed N MB, -timeout=S one that ran longer than S seconds.
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size);

namespace {

char g_current[4096] = "";

void OnTimeout(int) {
  const char head[] = "timeout: ";
  (void)!::write(2, head, sizeof(head) - 1);
  (void)!::write(2, g_current, std::strlen(g_current));
  (void)!::write(2, "\n", 1);
  ::_exit(1);
}

// VmHWM (the peak resident size) in MB; writing 5 to clear_refs resets it to the current size.
long PeakRssMb() {
  std::ifstream status("/proc/self/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind("VmHWM:", 0) == 0) return std::stol(line.substr(6)) / 1024;
  }
  return 0;
}

// Returns whether the input stayed within the limits.
bool RunFile(const std::filesystem::path& path, long rss_limit_mb, int timeout_s) {
  std::ifstream in(path, std::ios::binary);
  std::vector<uint8_t> bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  std::snprintf(g_current, sizeof g_current, "%s", path.c_str());
  std::ofstream("/proc/self/clear_refs") << "5";
  const auto start = std::chrono::steady_clock::now();
  if (timeout_s > 0) ::alarm(static_cast<unsigned>(timeout_s));
  LLVMFuzzerTestOneInput(bytes.data(), bytes.size());
  ::alarm(0);
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  const long peak = PeakRssMb();
  if (rss_limit_mb > 0 && peak > rss_limit_mb) {
    std::fprintf(stderr, "%s: peak RSS %ld MB, over -rss_limit_mb=%ld\n", path.c_str(), peak, rss_limit_mb);
    return false;
  }
  if (timeout_s > 0 && seconds > timeout_s) {
    std::fprintf(stderr, "%s: %.1f s, over -timeout=%d\n", path.c_str(), seconds, timeout_s);
    return false;
  }
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  long rss_limit_mb = 2048;  // libFuzzer's defaults
  int timeout_s = 1200;
  std::vector<std::filesystem::path> args;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a.rfind("-rss_limit_mb=", 0) == 0) {
      rss_limit_mb = std::atol(a.c_str() + 14);
    } else if (a.rfind("-timeout=", 0) == 0) {
      timeout_s = std::atoi(a.c_str() + 9);
    } else if (a.rfind("-", 0) == 0) {
      std::fprintf(stderr, "%s: unknown option (this replayer takes -rss_limit_mb= and -timeout=)\n", argv[i]);
      return 2;
    } else {
      args.push_back(a);
    }
  }
  if (args.empty()) {
    std::fprintf(stderr, "usage: %s [-rss_limit_mb=N] [-timeout=S] FILE_OR_FOLDER...\n", argv[0]);
    return 2;
  }
  ::signal(SIGALRM, OnTimeout);
  size_t inputs = 0, over = 0;
  for (const auto& arg : args) {
    std::vector<std::filesystem::path> files;
    if (std::filesystem::is_directory(arg)) {
      for (const auto& entry : std::filesystem::recursive_directory_iterator(arg)) {
        if (entry.is_regular_file()) files.push_back(entry.path());
      }
      std::sort(files.begin(), files.end());
    } else if (std::filesystem::is_regular_file(arg)) {
      files.push_back(arg);
    } else {
      std::fprintf(stderr, "%s: no such file or folder\n", arg.c_str());
      return 2;
    }
    for (const auto& f : files) over += RunFile(f, rss_limit_mb, timeout_s) ? 0 : 1;
    inputs += files.size();
  }
  if (inputs == 0) {
    std::fprintf(stderr, "no inputs found\n");
    return 1;
  }
  std::printf("ran %zu inputs, %zu over the limits\n", inputs, over);
  return over == 0 ? 0 : 1;
}
