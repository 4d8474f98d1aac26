// Dynamic batching: requests from many connections queue single images; one runner thread takes up to
// max_batch_size of them (waiting at most max_wait after the oldest arrived), runs the model once, and
// hands every request its own rows. The model is never entered by two threads at once.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <future>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

#include "vit/error.h"
#include "vit/model.h"
#include "vit/tensor.h"

namespace vit::serve {

// What runs a batch: Model::Run in the server, a fake in tests. Called from the runner thread only.
class BatchRunner {
 public:
  virtual ~BatchRunner() = default;
  // pixel_values [B,C,H,W]; every output it fills has leading dimension B.
  virtual ModelOutput Run(const Tensor& pixel_values) = 0;
  // The same with ModelOutput::attentions filled (layers of [B,heads,T,T]).
  virtual ModelOutput RunWithAttentions(const Tensor& pixel_values) {
    (void)pixel_values;
    throw Error("this model runner gives no attentions", ErrorKind::kUnsupported);
  }
};

// One image's rows of the batch outputs; they share the batch's storage.
struct RowOutput {
  Tensor last_hidden_state;  // [1,T,D]
  Tensor pooler_output;      // [1,P], empty without a pooler
  Tensor image_embeds;       // [1,E], empty without a visual_projection
  Tensor logits;             // [1,num_labels], empty without a classifier
  std::vector<Tensor> attentions;  // layers of [1,heads,T,T], only for images submitted with_attentions
};

struct BatcherOptions {
  int max_batch_size = 8;
  std::chrono::microseconds max_wait{5000};
  size_t max_queued_images = 4096;
};

class Batcher {
 public:
  using Clock = std::chrono::steady_clock;
  // Called after each batch with its size and the seconds Run took.
  using BatchObserver = std::function<void(int batch_size, double seconds)>;

  class Ticket {
   public:
    // The rows, or the runner's exception rethrown; std::nullopt when `deadline` passed first, in
    // which case the image is dropped from the queue if it has not been taken yet.
    std::optional<RowOutput> Wait(Clock::time_point deadline);
    void Cancel() { cancelled_ = true; }

   private:
    friend class Batcher;
    Tensor pixel_values;  // [1,C,H,W]
    bool with_attentions = false;
    std::promise<RowOutput> promise_;
    std::future<RowOutput> future_ = promise_.get_future();
    std::atomic<bool> cancelled_{false};
  };

  Batcher(BatchRunner& runner, BatcherOptions options, BatchObserver observer = {});
  ~Batcher();
  Batcher(const Batcher&) = delete;
  Batcher& operator=(const Batcher&) = delete;

  // pixel_values [1,C,H,W]. nullptr when max_queued_images are already waiting or Stop() was called.
  // Images asking for attentions run in batches of their own, so that no other image's outputs depend
  // on whether attentions were kept.
  std::shared_ptr<Ticket> Submit(Tensor pixel_values, bool with_attentions = false);
  size_t queue_depth() const;
  const BatcherOptions& options() const { return options_; }
  // Runs what is queued, then joins the runner thread. Idempotent.
  void Stop();

 private:
  struct Item {
    std::shared_ptr<Ticket> ticket;
    Clock::time_point enqueued;
  };
  void RunLoop();
  std::vector<std::shared_ptr<Ticket>> TakeBatch();  // with mutex_ held
  void RunBatch(std::vector<std::shared_ptr<Ticket>>& batch);

  BatchRunner& runner_;
  const BatcherOptions options_;
  BatchObserver observer_;
  mutable std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<Item> queue_;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace vit::serve
