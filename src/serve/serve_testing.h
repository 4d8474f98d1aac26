// A BatchRunner for tests: each output row is a function of that row's pixels only, so a test can tell
// whether rows came back to the right requests; it records the batch sizes it saw.
#pragma once

#include <atomic>
#include <chrono>
#include <mutex>
#include <thread>
#include <vector>

#include "serve/batcher.h"
#include "vit/error.h"

namespace vit::serve::testing {

class FakeRunner : public BatchRunner {
 public:
  static constexpr int64_t kTokens = 5, kWidth = 4;

  explicit FakeRunner(bool with_pooler = true, std::chrono::milliseconds delay = {})
      : with_pooler_(with_pooler), delay_(delay) {}

  ModelOutput Run(const Tensor& pixel_values) override {
    if (running_.exchange(true)) reentered_ = true;
    if (delay_.count() > 0) std::this_thread::sleep_for(delay_);
    if (fail_) {
      running_ = false;
      throw Error("fake model failure", ErrorKind::kInternal);
    }
    const int64_t b = pixel_values.dim(0), plane = pixel_values.numel() / b;
    ModelOutput out;
    out.last_hidden_state = Tensor({b, kTokens, kWidth});
    if (with_pooler_) out.pooler_output = Tensor({b, kWidth});
    for (int64_t i = 0; i < b; ++i) {
      const float first = pixel_values.data()[i * plane];
      for (int64_t t = 0; t < kTokens; ++t)
        for (int64_t d = 0; d < kWidth; ++d)
          out.last_hidden_state.data()[(i * kTokens + t) * kWidth + d] = Expected(first, t, d);
      if (with_pooler_)
        for (int64_t d = 0; d < kWidth; ++d) out.pooler_output.data()[i * kWidth + d] = -first - d;
    }
    {
      std::lock_guard lock(mutex_);
      batch_sizes_.push_back(static_cast<int>(b));
    }
    running_ = false;
    return out;
  }

  static float Expected(float first, int64_t token, int64_t dim) { return first * 100 + token * 10 + dim; }
  std::vector<int> batch_sizes() {
    std::lock_guard lock(mutex_);
    return batch_sizes_;
  }
  bool reentered() const { return reentered_; }
  void set_fail(bool fail) { fail_ = fail; }

 private:
  bool with_pooler_;
  std::chrono::milliseconds delay_;
  std::atomic<bool> fail_{false};
  std::atomic<bool> running_{false};
  std::atomic<bool> reentered_{false};
  std::mutex mutex_;
  std::vector<int> batch_sizes_;
};

// [1,3,h,w] filled with `value`.
inline Tensor Pixels(float value, int64_t h = 2, int64_t w = 2) {
  Tensor t({1, 3, h, w});
  for (float& v : t.values()) v = value;
  return t;
}

}  // namespace vit::serve::testing
