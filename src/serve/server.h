// `vit serve`: loads a model and serves it over HTTP until SIGTERM or SIGINT, which stop new
// connections, let the requests in flight finish, and return 0.
#pragma once

#include <string>

#include "vit/options.h"

namespace vit::serve {

struct ServeOptions {
  std::string model;              // folder or hub id
  LoadOptions load;
  std::string served_model_name;  // empty: the hub id, or the folder's name
  std::string host = "127.0.0.1";
  int port = 8080;                // 0: any free port (printed at start)
  int grpc_port = -1;             // the KServe v2 gRPC service: -1 off, 0 any free port (printed at start)
  int max_batch_size = 8;
  int max_wait_ms = 5;
  int max_concurrent_requests = 512;
  int max_body_mb = 32;
  int max_client_batch_size = 32;
  int request_timeout_ms = 30000;
  int io_timeout_ms = 10000;      // a client silent this long while sending or receiving is dropped
  std::string index;              // an embedding index folder (`vit index build`) for POST /search
  bool serve_indexed_files = false;  // GET /indexed/{id} answers the indexed image files themselves

  // Throws vit::Error(kInvalidArgument) naming the flag.
  void Validate() const;
};

// Blocks until a signal has drained the server; returns the process exit code.
int Serve(const ServeOptions& options);

}  // namespace vit::serve
