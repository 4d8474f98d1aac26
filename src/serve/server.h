// `vit serve`: loads a model and serves it over HTTP until SIGTERM or SIGINT, which stop new
// connections, let the requests in flight finish, and return 0.
#pragma once

#include <string>
#include <vector>

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
  int io_timeout_ms = 10000;      // the whole request header, and the whole response, must pass within this
  int body_timeout_ms = 60000;    // the whole request body must arrive within this
  int keep_alive_timeout_ms = 5000;  // an idle connection between requests is closed after this
  int max_connections = 4096;     // open at once; more are answered 503 and closed
  int max_body_memory_mb = 1024;  // request bodies in flight, all together; more get 503
  std::string cors_allow_origin;  // "" no CORS headers, "*" any origin, else that one origin
  std::vector<std::string> api_keys;  // when any: `Authorization: Bearer KEY` on every route but the probes
  std::string api_key_file;       // more keys, one a line
  bool json_logs = false;         // one JSON line per request on stderr
  std::string index;              // an embedding index folder (`vit index build`) for POST /search
  bool serve_indexed_files = false;  // GET /indexed/{id} answers the indexed image files themselves

  // Throws vit::Error(kInvalidArgument) naming the flag.
  void Validate() const;
};

// Blocks until a signal has drained the server; returns the process exit code.
int Serve(const ServeOptions& options);

}  // namespace vit::serve
