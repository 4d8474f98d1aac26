#include "model/vit.h"

#include <gtest/gtest.h>

#include <omp.h>

#include <chrono>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <iterator>
#include <thread>

#include "model/model_testing.h"
#include "model/weights.h"

namespace vit::model {
namespace {

Tensor Pixels(int64_t batch) {
  Tensor t({batch, 3, 8, 8});
  for (int64_t i = 0; i < t.numel(); ++i) t.data()[i] = std::cos(0.37f * static_cast<float>(i));
  return t;
}

bool SameBits(const Tensor& a, const Tensor& b) {
  return a.shape() == b.shape() &&
         std::memcmp(a.data(), b.data(), static_cast<size_t>(a.numel()) * sizeof(float)) == 0;
}

// Threads of this process, as Linux lists them.
int64_t ProcessThreads() {
  const std::filesystem::directory_iterator tasks("/proc/self/task");
  return std::distance(std::filesystem::begin(tasks), std::filesystem::end(tasks));
}

// OpenMP's pool size is per calling thread: a count set on the loading thread alone leaves a run from
// another thread (a server's batcher) on every core, each with a pool thread of its own.
TEST(ViTThreads, ARunFromAnotherThreadKeepsTheModelsThreadCount) {
  const ViTConfig c = TinyConfig();
  MemorySource source = TinyCheckpoint("", /*pooler=*/true, /*labels=*/0, /*varied=*/true);
  ViT vit(c, BindWeights(source, c, Precision::kF32), /*threads=*/1);
  EXPECT_EQ(vit.threads(), 1);
  int64_t before = 0, after = 0;
  int caller_before = 0, caller_after = 0;
  std::thread runner([&] {
    caller_before = omp_get_max_threads();  // never set on this thread: every core (or OMP_NUM_THREADS)
    before = ProcessThreads();
    vit.Forward(Pixels(2), {});
    after = ProcessThreads();  // a pool started for this thread lives until the thread ends
    caller_after = omp_get_max_threads();
  });
  runner.join();
  if (caller_before < 2) GTEST_SKIP() << "one core: every count is one thread";
  EXPECT_EQ(after, before) << "the run started pool threads of its own";
  EXPECT_EQ(caller_after, caller_before) << "the caller's own count is left as it was";
}

TEST(ViTStages, ATimedRunTimesEveryStageAndChangesNoOutput) {
  const ViTConfig c = TinyConfig();
  MemorySource source = TinyCheckpoint("", /*pooler=*/true, /*labels=*/3, /*varied=*/true);
  ViT vit(c, BindWeights(source, c, Precision::kF32));
  const Tensor pixels = Pixels(2);

  const ModelOutput plain = vit.Forward(pixels, {});
  EXPECT_EQ(plain.stage_seconds.Sum(), 0) << "an untimed run reports no time";

  RunOptions timed_options;
  timed_options.time_stages = true;
  const auto start = std::chrono::steady_clock::now();
  const ModelOutput timed = vit.Forward(pixels, timed_options);
  const double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  for (Stage stage : kStages) EXPECT_GT(timed.stage_seconds[stage], 0) << StageName(stage);
  EXPECT_LE(timed.stage_seconds.Sum(), wall);

  EXPECT_TRUE(SameBits(plain.last_hidden_state, timed.last_hidden_state));
  EXPECT_TRUE(SameBits(plain.pooler_output, timed.pooler_output));
  EXPECT_TRUE(SameBits(plain.logits, timed.logits));
  // The tokens differ from one another: equal outputs above compare something.
  EXPECT_NE(plain.last_hidden_state.data()[0], plain.last_hidden_state.data()[c.hidden_size]);

  // Each run's times are its own, not a running total (which would hold the run above too).
  const auto again_start = std::chrono::steady_clock::now();
  const ModelOutput again = vit.Forward(pixels, timed_options);
  EXPECT_LE(again.stage_seconds.Sum(),
            std::chrono::duration<double>(std::chrono::steady_clock::now() - again_start).count());
  const ModelOutput untimed_after = vit.Forward(pixels, {});
  EXPECT_EQ(untimed_after.stage_seconds.Sum(), 0);
}

TEST(ViTStages, AModelWithoutHeadSpendsNothingThere) {
  const ViTConfig c = TinyConfig();
  MemorySource source = TinyCheckpoint("", /*pooler=*/false, /*labels=*/0, /*varied=*/true);
  ViT vit(c, BindWeights(source, c, Precision::kF32));
  RunOptions options;
  options.time_stages = true;
  const ModelOutput out = vit.Forward(Pixels(1), options);
  EXPECT_EQ(out.stage_seconds[Stage::kHead], 0);
  EXPECT_GT(out.stage_seconds[Stage::kOutput], 0);
}

TEST(ViTOutput, ARunReusesTheStorageOfAnOutputTheCallerDropped) {
  const ViTConfig c = TinyConfig();
  MemorySource source = TinyCheckpoint("", /*pooler=*/true, /*labels=*/0, /*varied=*/true);
  ViT vit(c, BindWeights(source, c, Precision::kF32));
  const Tensor pixels = Pixels(2), other_pixels = Pixels(1);

  const float* dropped = nullptr;
  {
    const ModelOutput first = vit.Forward(pixels, {});
    dropped = first.last_hidden_state.data();
  }
  const ModelOutput kept = vit.Forward(pixels, {});
  EXPECT_EQ(kept.last_hidden_state.data(), dropped) << "the dropped output's storage is reused";

  // A kept output is not overwritten by the next runs, of the same shape or another.
  Tensor same_shape_pixels = pixels.Clone();
  for (float& v : same_shape_pixels.values()) v = -v;
  const Tensor kept_copy = kept.last_hidden_state.Clone();
  const ModelOutput same_shape = vit.Forward(same_shape_pixels, {});
  const ModelOutput next = vit.Forward(other_pixels, {});
  EXPECT_NE(same_shape.last_hidden_state.data(), kept.last_hidden_state.data());
  EXPECT_NE(next.last_hidden_state.data(), kept.last_hidden_state.data());
  EXPECT_TRUE(SameBits(kept.last_hidden_state, kept_copy));
  EXPECT_FALSE(SameBits(same_shape.last_hidden_state, kept_copy)) << "other pixels, other output";
  EXPECT_EQ(next.last_hidden_state.dim(0), 1);

  // A view of an output holds its storage too.
  Tensor row;
  {
    const ModelOutput viewed = vit.Forward(other_pixels, {});
    row = viewed.last_hidden_state.Rows(0, 1);
  }
  const Tensor row_copy = row.Clone();
  vit.Forward(other_pixels, {});
  EXPECT_TRUE(SameBits(row, row_copy));
}

}  // namespace
}  // namespace vit::model
