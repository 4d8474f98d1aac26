// preprocess_bench: time of vit's image layer per image, file to pixel_values (read + decode + convert
// + resize + rescale/normalize), on one thread and on every thread of the pool. bench/e2e/preprocess_bench.py
// runs it beside Pillow + the ViTImageProcessor steps in Python and prints the comparison.
//
//   preprocess_bench [--repeat R] [--batch B] [--config preprocessor_config.json] IMAGE...
//
// One JSON line per image, median milliseconds per image: ImageProcessor::PreprocessFile (decode
// streamed into the resize) on one thread; LoadImage and PreprocessInto (the two-step path) each on one
// thread (these three in CPU time of the thread, which a busy machine does not inflate); and wall time
// per image of PreprocessFile when B copies go through the pool at once.
#include <omp.h>

#include <algorithm>
#include <chrono>
#include <ctime>
#include <cstdio>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "core/threads.h"
#include "vit/error.h"
#include "vit/image.h"
#include "vit/image_processor.h"

namespace {

using Clock = std::chrono::steady_clock;

double Ms(Clock::duration d) { return std::chrono::duration<double, std::milli>(d).count(); }

// CPU time of the calling thread: on a shared machine this is what the work costs, whatever else runs.
double ThreadCpuMs() {
  timespec t;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
  return static_cast<double>(t.tv_sec) * 1e3 + static_cast<double>(t.tv_nsec) * 1e-6;
}

double Median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

}  // namespace

int main(int argc, char** argv) {
  int repeat = 15, batch = 0;
  std::string config_path;
  std::vector<std::string> images;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg == "--repeat" && i + 1 < argc) {
      repeat = std::max(1, std::stoi(argv[++i]));
    } else if (arg == "--batch" && i + 1 < argc) {
      batch = std::max(1, std::stoi(argv[++i]));
    } else if (arg == "--config" && i + 1 < argc) {
      config_path = argv[++i];
    } else {
      images.push_back(arg);
    }
  }
  if (images.empty()) {
    std::fprintf(stderr, "usage: preprocess_bench [--repeat R] [--batch B] [--config json] IMAGE...\n");
    return 2;
  }
  try {
    vit::ImageProcessor processor;
    if (!config_path.empty()) {
      std::ifstream in(config_path);
      std::stringstream text;
      text << in.rdbuf();
      processor = vit::ImageProcessor::FromJson(text.str(), config_path);
    }
    const int threads = vit::core::NumThreads();
    if (batch == 0) batch = 4 * threads;
    std::vector<float> out;
    for (const std::string& path : images) {
      std::vector<double> fused, decode, preprocess;
      for (int r = 0; r < repeat + 1; ++r) {
        const double t0 = ThreadCpuMs();
        const vit::Tensor values = processor.PreprocessFile(path);
        const double t1 = ThreadCpuMs();
        const vit::Image image = vit::LoadImage(path);
        const double t2 = ThreadCpuMs();
        out.resize(static_cast<size_t>(values.numel()));
        processor.PreprocessInto(image, out.data());
        const double t3 = ThreadCpuMs();
        if (r == 0) continue;  // warm-up: page cache, allocator, dispatch tables
        fused.push_back(t1 - t0);
        decode.push_back(t2 - t1);
        preprocess.push_back(t3 - t2);
      }
      // The same file `batch` times through the pool: what `vit embed` does with a folder.
      std::vector<double> per_image;
      for (int r = 0; r < std::max(3, repeat / 3); ++r) {
        std::vector<vit::Tensor> outs(static_cast<size_t>(batch));
        const auto t0 = Clock::now();
        vit::core::ParallelFor(batch, [&](int64_t i) { outs[static_cast<size_t>(i)] = processor.PreprocessFile(path); });
        per_image.push_back(Ms(Clock::now() - t0) / batch);
      }
      std::printf(
          "{\"image\": \"%s\", \"one_thread_ms\": %.3f, \"load_image_ms\": %.3f, \"preprocess_into_ms\": %.3f, "
          "\"threads\": %d, \"batch\": %d, \"pooled_ms_per_image\": %.3f}\n",
          path.c_str(), Median(fused), Median(decode), Median(preprocess), threads, batch, Median(per_image));
      std::fflush(stdout);
    }
  } catch (const vit::Error& e) {
    std::fprintf(stderr, "preprocess_bench: %s\n", e.what());
    return 1;
  }
  return 0;
}
