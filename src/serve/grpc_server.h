// The Open Inference Protocol (KServe v2) over gRPC: inference.GRPCInferenceService (ServerLive,
// ServerReady, ModelReady, ServerMetadata, ModelMetadata, ModelInfer) beside the HTTP server, on the
// same ServeContext: the same batcher, input handling (kserve_tensors.h), limits and metrics. Errors
// carry the gRPC code of the HTTP status the REST route would answer (GrpcCodeFor).
#pragma once

#include <grpcpp/support/status.h>

#include <chrono>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "serve/context.h"

namespace grpc {
class Server;
}

namespace vit::serve {

struct GrpcOptions {
  std::string host = "127.0.0.1";
  int port = 0;                         // 0: any free port
  size_t max_message_bytes = 32u << 20;  // largest request (--max-body-mb)
  int max_threads = 520;                // threads serving RPCs at once (--max-concurrent-requests + a few)
};

// 400 and 422 -> INVALID_ARGUMENT, 404 NOT_FOUND, 413 and 429 RESOURCE_EXHAUSTED, 503 UNAVAILABLE,
// 504 DEADLINE_EXCEEDED, other 5xx INTERNAL.
grpc::StatusCode GrpcCodeFor(int http_status);

class GrpcServer {
 public:
  // Starts serving; throws vit::Error(kIo) when the address cannot be bound.
  GrpcServer(ServeContext& context, const GrpcOptions& options);
  ~GrpcServer();  // Shutdown() if not done, then waits for it
  GrpcServer(const GrpcServer&) = delete;
  GrpcServer& operator=(const GrpcServer&) = delete;

  int port() const { return port_; }
  // Stops taking RPCs and lets those in flight finish for up to `grace`, then cancels them; returns at
  // once (the wait runs on a thread of its own, joined by the destructor). Safe from any thread.
  void Shutdown(std::chrono::milliseconds grace);

 private:
  class Service;
  std::unique_ptr<Service> service_;
  std::unique_ptr<grpc::Server> server_;
  int port_ = 0;
  std::once_flag shutdown_once_;
  std::thread shutdown_thread_;
};

}  // namespace vit::serve
