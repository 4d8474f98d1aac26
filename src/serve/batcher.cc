#include "serve/batcher.h"

#include <algorithm>
#include <cstring>
#include <exception>

#include "vit/error.h"

namespace vit::serve {
namespace {

bool SameImageShape(const Tensor& a, const Tensor& b) {
  return a.rank() == b.rank() && std::equal(a.shape().begin() + 1, a.shape().end(), b.shape().begin() + 1);
}

// Rows [i, i+1) of an output, or empty when the runner did not produce it.
Tensor RowOf(const Tensor& output, int64_t i, size_t batch, const char* name) {
  if (output.empty()) return {};
  if (output.rank() < 1 || output.dim(0) != static_cast<int64_t>(batch))
    throw Error(std::string("model returned ") + name + " " + output.ShapeString() + " for a batch of " +
                    std::to_string(batch),
                ErrorKind::kInternal);
  return output.Rows(i, i + 1);
}

}  // namespace

std::optional<RowOutput> Batcher::Ticket::Wait(Clock::time_point deadline) {
  if (future_.wait_until(deadline) != std::future_status::ready) {
    cancelled_ = true;
    return std::nullopt;
  }
  return future_.get();
}

Batcher::Batcher(BatchRunner& runner, BatcherOptions options, BatchObserver observer)
    : runner_(runner), options_(options), observer_(std::move(observer)) {
  if (options_.max_batch_size < 1) throw Error("max_batch_size must be at least 1", ErrorKind::kInvalidArgument);
  thread_ = std::thread([this] { RunLoop(); });
}

Batcher::~Batcher() { Stop(); }

std::shared_ptr<Batcher::Ticket> Batcher::Submit(Tensor pixel_values, bool with_attentions) {
  if (pixel_values.rank() != 4 || pixel_values.dim(0) != 1)
    throw Error("Batcher::Submit: pixel_values " + pixel_values.ShapeString() + ", expected [1,C,H,W]",
                ErrorKind::kInternal);
  auto ticket = std::make_shared<Ticket>();
  ticket->pixel_values = std::move(pixel_values);
  ticket->with_attentions = with_attentions;
  {
    std::lock_guard lock(mutex_);
    if (stopping_ || queue_.size() >= options_.max_queued_images) return nullptr;
    queue_.push_back({ticket, Clock::now()});
  }
  wake_.notify_one();
  return ticket;
}

size_t Batcher::queue_depth() const {
  std::lock_guard lock(mutex_);
  return queue_.size();
}

void Batcher::Stop() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_one();
  if (thread_.joinable()) thread_.join();
}

void Batcher::RunLoop() {
  std::unique_lock lock(mutex_);
  for (;;) {
    wake_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
    if (queue_.empty()) return;  // stopping, and nothing left to run
    // The window opens when the oldest image arrived: under load it has long passed and the batch
    // leaves at once with whatever has piled up while the previous one ran.
    const auto window_end = queue_.front().enqueued + options_.max_wait;
    wake_.wait_until(lock, window_end, [&] {
      return stopping_ || queue_.size() >= static_cast<size_t>(options_.max_batch_size);
    });
    std::vector<std::shared_ptr<Ticket>> batch = TakeBatch();
    if (batch.empty()) continue;
    lock.unlock();
    RunBatch(batch);
    batch.clear();  // release the outputs' storage before sleeping
    lock.lock();
  }
}

std::vector<std::shared_ptr<Batcher::Ticket>> Batcher::TakeBatch() {
  std::vector<std::shared_ptr<Ticket>> batch;
  // Images whose requests gave up are dropped; the batch takes the oldest image's shape and whether it
  // wants attentions, and images of another shape (other sizes when the processor does not resize) or
  // the other wish wait for a later batch.
  std::erase_if(queue_, [](const Item& item) { return item.ticket->cancelled_.load(); });
  if (queue_.empty()) return batch;
  const Tensor& first = queue_.front().ticket->pixel_values;
  const bool with_attentions = queue_.front().ticket->with_attentions;
  for (auto it = queue_.begin(); it != queue_.end() && batch.size() < static_cast<size_t>(options_.max_batch_size);) {
    if (batch.empty() ||
        (SameImageShape(it->ticket->pixel_values, first) && it->ticket->with_attentions == with_attentions)) {
      batch.push_back(std::move(it->ticket));
      it = queue_.erase(it);
    } else {
      ++it;
    }
  }
  return batch;
}

void Batcher::RunBatch(std::vector<std::shared_ptr<Ticket>>& batch) {
  const size_t n = batch.size();
  const auto start = Clock::now();
  try {
    Tensor pixel_values;
    if (n == 1) {
      pixel_values = batch[0]->pixel_values;
    } else {
      std::vector<int64_t> shape = batch[0]->pixel_values.shape();
      shape[0] = static_cast<int64_t>(n);
      pixel_values = Tensor(shape);
      const size_t row = static_cast<size_t>(batch[0]->pixel_values.numel());
      for (size_t i = 0; i < n; ++i)
        std::memcpy(pixel_values.data() + i * row, batch[i]->pixel_values.data(), row * sizeof(float));
    }
    for (auto& ticket : batch) ticket->pixel_values = Tensor();
    const bool with_attentions = batch[0]->with_attentions;
    const ModelOutput out = with_attentions ? runner_.RunWithAttentions(pixel_values) : runner_.Run(pixel_values);
    std::vector<RowOutput> rows(n);
    for (size_t i = 0; i < n; ++i) {
      const auto r = static_cast<int64_t>(i);
      rows[i].last_hidden_state = RowOf(out.last_hidden_state, r, n, "last_hidden_state");
      rows[i].pooler_output = RowOf(out.pooler_output, r, n, "pooler_output");
      rows[i].image_embeds = RowOf(out.image_embeds, r, n, "image_embeds");
      rows[i].logits = RowOf(out.logits, r, n, "logits");
      if (with_attentions)
        for (const Tensor& layer : out.attentions) rows[i].attentions.push_back(RowOf(layer, r, n, "attentions"));
    }
    for (size_t i = 0; i < n; ++i) batch[i]->promise_.set_value(std::move(rows[i]));
  } catch (...) {
    const std::exception_ptr error = std::current_exception();
    for (auto& ticket : batch) {
      try {
        ticket->promise_.set_exception(error);
      } catch (const std::future_error&) {
        // this ticket already has its value; the failure came after it
      }
    }
  }
  if (observer_) observer_(static_cast<int>(n), std::chrono::duration<double>(Clock::now() - start).count());
}

}  // namespace vit::serve
