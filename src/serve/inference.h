// The pipeline every API shares: decode and preprocess each image on the request's own thread
// (single-threaded, so many requests do not oversubscribe the cores the model runs on), queue it in
// the batcher, wait for the rows. Also the per-request limits: concurrency (429) and deadline (504).
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "serve/batcher.h"
#include "vit/config.h"
#include "vit/image_processor.h"
#include "vit/model.h"
#include "vit/tensor.h"

namespace vit::serve {

// What the handlers know of the model they serve.
struct ServedModel {
  std::string name;  // as clients spell it: the OpenAI "model" and the KServe {name}
  ViTConfig config;
  ImageProcessor processor;
  ModelInfo info;
};

struct InferenceLimits {
  std::chrono::milliseconds request_timeout{30000};
  int max_concurrent_requests = 512;
  int max_client_batch_size = 32;  // images in one request
};

struct EncodedImage {
  std::span<const uint8_t> bytes;
  std::string name;  // names the image in errors: "inputs[2]"
};

class Inference {
 public:
  using Clock = std::chrono::steady_clock;

  Inference(const ServedModel& model, Batcher& batcher, InferenceLimits limits);

  // Holds one of max_concurrent_requests places for its lifetime.
  class Admission {
   public:
    explicit Admission(std::atomic<int>& count) : count_(&count) {}
    Admission(Admission&& other) noexcept : count_(std::exchange(other.count_, nullptr)) {}
    Admission(const Admission&) = delete;
    Admission& operator=(const Admission&) = delete;
    Admission& operator=(Admission&&) = delete;
    ~Admission() {
      if (count_) --*count_;
    }

   private:
    std::atomic<int>* count_;
  };
  // Throws HttpError(429) when max_concurrent_requests are already being served.
  Admission Admit();
  Clock::time_point Deadline() const { return Clock::now() + limits_.request_timeout; }

  // Throws HttpError(413) beyond max_client_batch_size, vit::Error for undecodable images,
  // HttpError(429) when the queue is full and HttpError(504) past `deadline`.
  // With `with_attentions`, the rows carry the attentions and `pixel_values`, when given, receives each
  // image's [1,C,H,W] as the model saw it.
  std::vector<RowOutput> RunImages(std::span<const EncodedImage> images, Clock::time_point deadline,
                                   bool with_attentions = false, std::vector<Tensor>* pixel_values = nullptr);
  // pixel_values [B,C,H,W] at the model's input size; rows share its storage.
  std::vector<RowOutput> RunPixelValues(const Tensor& pixel_values, Clock::time_point deadline);

  const ServedModel& model() const { return model_; }
  const InferenceLimits& limits() const { return limits_; }
  int in_flight() const { return admitted_.load(); }

 private:
  void CheckCount(size_t images) const;
  std::vector<RowOutput> WaitAll(std::vector<std::shared_ptr<Batcher::Ticket>>& tickets, Clock::time_point deadline);
  std::shared_ptr<Batcher::Ticket> Submit(Tensor pixel_values, bool with_attentions = false);

  const ServedModel& model_;
  Batcher& batcher_;
  const InferenceLimits limits_;
  std::atomic<int> admitted_{0};
};

}  // namespace vit::serve
