#include "serve/inference.h"

#include "core/cancel.h"
#include "serve/http.h"
#include "vit/error.h"

namespace vit::serve {
namespace {

// Cancels the tickets still queued when a request fails half-way (a corrupt third image, a timeout),
// so the model does not spend time on answers nobody waits for.
struct CancelOnExit {
  std::vector<std::shared_ptr<Batcher::Ticket>>& tickets;
  ~CancelOnExit() {
    for (auto& t : tickets)
      if (t) t->Cancel();
  }
};

}  // namespace

Inference::Inference(const ServedModel& model, Batcher& batcher, InferenceLimits limits)
    : model_(model), batcher_(batcher), limits_(limits) {}

Inference::Admission Inference::Admit() {
  if (admitted_.fetch_add(1) >= limits_.max_concurrent_requests) {
    --admitted_;
    throw HttpError(429,
                    "server busy: " + std::to_string(limits_.max_concurrent_requests) +
                        " requests are being served (--max-concurrent-requests); retry later",
                    1);
  }
  return Admission(admitted_);
}

void Inference::CheckCount(size_t images) const {
  if (images == 0) throw Error("the request has no images", ErrorKind::kInvalidArgument);
  if (images > static_cast<size_t>(limits_.max_client_batch_size))
    throw HttpError(413, "the request has " + std::to_string(images) + " images; the limit is " +
                             std::to_string(limits_.max_client_batch_size) + " (--max-client-batch-size)");
}

std::shared_ptr<Batcher::Ticket> Inference::Submit(Tensor pixel_values, bool with_attentions) {
  auto ticket = batcher_.Submit(std::move(pixel_values), with_attentions);
  if (!ticket)
    throw HttpError(429, "server busy: the model's queue is full (" +
                             std::to_string(batcher_.options().max_queued_images) + " images); retry later",
                    1);
  return ticket;
}

std::vector<RowOutput> Inference::RunImages(std::span<const EncodedImage> images, Clock::time_point deadline,
                                            bool with_attentions, std::vector<Tensor>* pixel_values_out) {
  CheckCount(images.size());
  std::vector<std::shared_ptr<Batcher::Ticket>> tickets;
  CancelOnExit cancel{tickets};
  // Each image enters the queue as soon as it is ready, so the model starts on the first ones while
  // this thread decodes the rest. Decoding streams large JPEGs' rows straight into the resize.
  for (const EncodedImage& encoded : images) {
    ThrowIfCancelled();  // the client went away or the deadline passed (the HTTP layer's flag)
    const Tensor chw = model_.processor.PreprocessEncoded(encoded.bytes, encoded.name);
    Tensor pixel_values = chw.Reshaped({1, chw.dim(0), chw.dim(1), chw.dim(2)});
    if (pixel_values_out) pixel_values_out->push_back(pixel_values);
    tickets.push_back(Submit(std::move(pixel_values), with_attentions));
    if (Clock::now() > deadline) break;  // WaitAll reports the timeout
  }
  return WaitAll(tickets, deadline);
}

std::vector<RowOutput> Inference::RunPixelValues(const Tensor& pixel_values, Clock::time_point deadline) {
  const int64_t size = model_.config.image_size, channels = model_.config.num_channels;
  if (pixel_values.rank() != 4 || pixel_values.dim(1) != channels || pixel_values.dim(2) != size ||
      pixel_values.dim(3) != size)
    throw Error("pixel_values: shape " + pixel_values.ShapeString() + ", expected [B," + std::to_string(channels) +
                    "," + std::to_string(size) + "," + std::to_string(size) + "]",
                ErrorKind::kInvalidArgument);
  CheckCount(static_cast<size_t>(pixel_values.dim(0)));
  std::vector<std::shared_ptr<Batcher::Ticket>> tickets;
  CancelOnExit cancel{tickets};
  for (int64_t i = 0; i < pixel_values.dim(0); ++i) tickets.push_back(Submit(pixel_values.Rows(i, i + 1)));
  return WaitAll(tickets, deadline);
}

std::vector<RowOutput> Inference::WaitAll(std::vector<std::shared_ptr<Batcher::Ticket>>& tickets,
                                          Clock::time_point deadline) {
  std::vector<RowOutput> rows;
  rows.reserve(tickets.size());
  for (auto& ticket : tickets) {
    std::optional<RowOutput> row = ticket->Wait(deadline);
    if (!row)
      throw HttpError(504, "the request took longer than " + std::to_string(limits_.request_timeout.count()) +
                               " ms (--request-timeout-ms)");
    rows.push_back(std::move(*row));
    ticket.reset();
  }
  return rows;
}

}  // namespace vit::serve
