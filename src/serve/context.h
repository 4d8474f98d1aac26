// What every handler may use: the model's description, the inference pipeline, metrics, the limits
// shown by /info, and whether the server still takes work.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <string>

#include "serve/inference.h"
#include "serve/metrics.h"
#include "vit/index.h"

namespace vit::serve {

struct ServeLimits {
  int max_batch_size = 8;
  int max_wait_ms = 5;
  int max_concurrent_requests = 512;
  int max_body_mb = 32;
  int max_client_batch_size = 32;
  int request_timeout_ms = 30000;
};

struct ServeContext {
  Inference& inference;
  Metrics& metrics;
  ServeLimits limits;
  std::atomic<bool> draining{false};  // set on SIGTERM/SIGINT: /health and readiness answer 503
  const EmbeddingIndex* index = nullptr;  // with --index: POST /search
  bool serve_indexed_files = false;       // with --serve-indexed-files: GET /indexed/{id}
  // When the server started: OpenAI's "created" for the model.
  int64_t started_unix_s =
      std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();

  const ServedModel& model() const { return inference.model(); }
};

}  // namespace vit::serve
