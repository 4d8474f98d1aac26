#include "serve/batcher.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <thread>

#include "serve/serve_testing.h"
#include "vit/error.h"

namespace vit::serve {
namespace {

using testing::FakeRunner;
using testing::Pixels;
using Clock = Batcher::Clock;
using namespace std::chrono_literals;

void ExpectRowFor(const RowOutput& row, float first) {
  ASSERT_EQ(row.last_hidden_state.shape(), (std::vector<int64_t>{1, FakeRunner::kTokens, FakeRunner::kWidth}));
  for (int64_t t = 0; t < FakeRunner::kTokens; ++t)
    for (int64_t d = 0; d < FakeRunner::kWidth; ++d)
      EXPECT_EQ(row.last_hidden_state.data()[t * FakeRunner::kWidth + d], FakeRunner::Expected(first, t, d));
  ASSERT_EQ(row.pooler_output.shape(), (std::vector<int64_t>{1, FakeRunner::kWidth}));
  EXPECT_EQ(row.pooler_output.data()[1], -first - 1);
}

TEST(Batcher, SingleImageComesBackAlone) {
  FakeRunner runner;
  Batcher batcher(runner, {.max_batch_size = 4, .max_wait = 1ms});
  auto ticket = batcher.Submit(Pixels(7));
  ASSERT_TRUE(ticket);
  auto row = ticket->Wait(Clock::now() + 5s);
  ASSERT_TRUE(row);
  ExpectRowFor(*row, 7);
  EXPECT_EQ(runner.batch_sizes(), std::vector<int>{1});
}

TEST(Batcher, CoalescesWithinTheWindowAndEachRequestGetsItsOwnRow) {
  FakeRunner runner;
  std::vector<int> observed;
  Batcher batcher(runner, {.max_batch_size = 8, .max_wait = 2s},
                  [&](int size, double) { observed.push_back(size); });
  std::vector<std::shared_ptr<Batcher::Ticket>> tickets;
  for (int i = 0; i < 8; ++i) tickets.push_back(batcher.Submit(Pixels(static_cast<float>(i))));
  // The eighth image fills the batch, so it leaves well before the 2 s window closes.
  const auto start = Clock::now();
  for (int i = 0; i < 8; ++i) {
    auto row = tickets[static_cast<size_t>(i)]->Wait(Clock::now() + 5s);
    ASSERT_TRUE(row);
    ExpectRowFor(*row, static_cast<float>(i));
  }
  EXPECT_LT(Clock::now() - start, 1s);
  EXPECT_EQ(runner.batch_sizes(), std::vector<int>{8});
  batcher.Stop();
  EXPECT_EQ(observed, std::vector<int>{8});
}

TEST(Batcher, NeverExceedsMaxBatchSizeAndNeverReentersTheModel) {
  FakeRunner runner(true, 2ms);
  Batcher batcher(runner, {.max_batch_size = 3, .max_wait = 1ms});
  std::vector<std::thread> clients;
  std::atomic<int> wrong{0};
  for (int c = 0; c < 8; ++c)
    clients.emplace_back([&, c] {
      for (int i = 0; i < 10; ++i) {
        const float value = static_cast<float>(c * 100 + i);
        auto ticket = batcher.Submit(Pixels(value));
        auto row = ticket->Wait(Clock::now() + 10s);
        if (!row || row->last_hidden_state.data()[0] != FakeRunner::Expected(value, 0, 0)) ++wrong;
      }
    });
  for (auto& t : clients) t.join();
  EXPECT_EQ(wrong, 0);
  EXPECT_FALSE(runner.reentered());
  int total = 0;
  for (int size : runner.batch_sizes()) {
    EXPECT_LE(size, 3);
    total += size;
  }
  EXPECT_EQ(total, 80);
}

TEST(Batcher, WaitsNoLongerThanMaxWaitForAPartialBatch) {
  FakeRunner runner;
  Batcher batcher(runner, {.max_batch_size = 64, .max_wait = 20ms});
  const auto start = Clock::now();
  auto row = batcher.Submit(Pixels(1))->Wait(Clock::now() + 5s);
  ASSERT_TRUE(row);
  const auto waited = Clock::now() - start;
  EXPECT_GE(waited, 15ms);
  EXPECT_LT(waited, 1s);
}

TEST(Batcher, DeadlineCancelsTheQueuedImage) {
  FakeRunner runner;
  Batcher batcher(runner, {.max_batch_size = 64, .max_wait = 300ms});
  auto late = batcher.Submit(Pixels(1));
  EXPECT_FALSE(late->Wait(Clock::now() + 10ms));
  auto row = batcher.Submit(Pixels(2))->Wait(Clock::now() + 5s);
  ASSERT_TRUE(row);
  ExpectRowFor(*row, 2);
  // The cancelled image was dropped, not run.
  EXPECT_EQ(runner.batch_sizes(), std::vector<int>{1});
}

TEST(Batcher, FullQueueRefuses) {
  FakeRunner runner;
  Batcher batcher(runner, {.max_batch_size = 64, .max_wait = 500ms, .max_queued_images = 2});
  auto a = batcher.Submit(Pixels(1));
  auto b = batcher.Submit(Pixels(2));
  EXPECT_TRUE(a && b);
  EXPECT_EQ(batcher.Submit(Pixels(3)), nullptr);
  EXPECT_EQ(batcher.queue_depth(), 2u);
}

TEST(Batcher, ModelErrorReachesEveryRequestOfTheBatch) {
  FakeRunner runner;
  runner.set_fail(true);
  Batcher batcher(runner, {.max_batch_size = 2, .max_wait = 1s});
  auto a = batcher.Submit(Pixels(1));
  auto b = batcher.Submit(Pixels(2));
  EXPECT_THROW(a->Wait(Clock::now() + 5s), Error);
  EXPECT_THROW(b->Wait(Clock::now() + 5s), Error);
  runner.set_fail(false);
  EXPECT_TRUE(batcher.Submit(Pixels(3))->Wait(Clock::now() + 5s));
}

TEST(Batcher, StopRunsWhatIsQueuedThenRefuses) {
  FakeRunner runner;
  Batcher batcher(runner, {.max_batch_size = 64, .max_wait = 10s});
  auto a = batcher.Submit(Pixels(1));
  const auto start = Clock::now();
  batcher.Stop();
  EXPECT_LT(Clock::now() - start, 5s);
  auto row = a->Wait(Clock::now());
  ASSERT_TRUE(row);
  ExpectRowFor(*row, 1);
  EXPECT_EQ(batcher.Submit(Pixels(2)), nullptr);
}

TEST(Batcher, ImagesOfAnotherSizeGoInTheirOwnBatch) {
  FakeRunner runner;
  Batcher batcher(runner, {.max_batch_size = 8, .max_wait = 50ms});
  auto a = batcher.Submit(Pixels(1, 2, 2));
  auto b = batcher.Submit(Pixels(2, 4, 4));
  auto c = batcher.Submit(Pixels(3, 2, 2));
  ExpectRowFor(*a->Wait(Clock::now() + 5s), 1);
  ExpectRowFor(*b->Wait(Clock::now() + 5s), 2);
  ExpectRowFor(*c->Wait(Clock::now() + 5s), 3);
  std::vector<int> sizes = runner.batch_sizes();
  std::sort(sizes.begin(), sizes.end());
  EXPECT_EQ(sizes, (std::vector<int>{1, 2}));
}

// Attentions [B,1,1,1] holding each image's first pixel; counts the batches that kept them.
class AttentionRunner : public FakeRunner {
 public:
  ModelOutput RunWithAttentions(const Tensor& pixel_values) override {
    ModelOutput out = Run(pixel_values);
    const int64_t b = pixel_values.dim(0), plane = pixel_values.numel() / b;
    out.attentions.emplace_back(std::vector<int64_t>{b, 1, 1, 1});
    for (int64_t i = 0; i < b; ++i) out.attentions[0].data()[i] = pixel_values.data()[i * plane];
    ++attention_batches;
    return out;
  }
  std::atomic<int> attention_batches{0};
};

TEST(Batcher, ImagesWantingAttentionsGoInBatchesOfTheirOwn) {
  AttentionRunner runner;
  Batcher batcher(runner, {.max_batch_size = 8, .max_wait = 50ms});
  auto a = batcher.Submit(Pixels(1));
  auto b = batcher.Submit(Pixels(2), /*with_attentions=*/true);
  auto c = batcher.Submit(Pixels(3));
  auto d = batcher.Submit(Pixels(4), /*with_attentions=*/true);
  const RowOutput ra = *a->Wait(Clock::now() + 5s), rb = *b->Wait(Clock::now() + 5s);
  const RowOutput rc = *c->Wait(Clock::now() + 5s), rd = *d->Wait(Clock::now() + 5s);
  ExpectRowFor(ra, 1);
  ExpectRowFor(rd, 4);
  EXPECT_TRUE(ra.attentions.empty());
  EXPECT_TRUE(rc.attentions.empty());
  ASSERT_EQ(rb.attentions.size(), 1u);
  EXPECT_EQ(rb.attentions[0].data()[0], 2.0f);
  EXPECT_EQ(rd.attentions[0].data()[0], 4.0f);
  EXPECT_EQ(runner.attention_batches.load(), 1);
  std::vector<int> sizes = runner.batch_sizes();
  std::sort(sizes.begin(), sizes.end());
  EXPECT_EQ(sizes, (std::vector<int>{2, 2}));
}

TEST(Batcher, RejectsAnythingButOneImage) {
  FakeRunner runner;
  Batcher batcher(runner, {});
  EXPECT_THROW(batcher.Submit(Tensor({2, 3, 2, 2})), Error);
}

}  // namespace
}  // namespace vit::serve
