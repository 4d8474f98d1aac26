// The HTTP/1.1 layer: the only file that sees the HTTP library (Boost.Beast on Asio). Handlers are
// plain functions Request -> Response, run on a bounded worker pool off the I/O threads; Guarded()
// runs one and turns every exception into a JSON error, so a handler may throw vit::Error or HttpError
// freely and the connection still gets a proper answer.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "vit/error.h"

namespace vit::serve {

struct Request {
  std::string method;
  std::string path;
  std::string_view body;                      // valid while the handler runs
  std::vector<std::string> path_params;       // the route pattern's capture groups, in order
  std::map<std::string, std::string> headers;  // names lower-cased
  std::map<std::string, std::string> query;
  std::string remote_address;                 // the client's IP address, "" when unknown
  // Set when the client has gone away (or the server gave up on the request): work for it may stop.
  // Null for requests that cannot be cancelled.
  std::shared_ptr<const std::atomic<bool>> cancel;

  // "" when absent; `name` in lower case.
  std::string Header(const std::string& name) const;
  std::optional<std::string> Query(const std::string& name) const;
  bool Cancelled() const { return cancel && cancel->load(std::memory_order_relaxed); }
};

struct Response {
  int status = 200;
  std::string content_type = "application/json";
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;

  static Response Json(std::string body, int status = 200);
};

using Handler = std::function<Response(const Request&)>;

// An error that carries its HTTP status: limits (413, 429), deadlines (504), unknown names (404).
class HttpError : public std::runtime_error {
 public:
  HttpError(int status, const std::string& message, int retry_after_s = 0)
      : std::runtime_error(message), status_(status), retry_after_s_(retry_after_s) {}
  int status() const noexcept { return status_; }
  int retry_after_s() const noexcept { return retry_after_s_; }

 private:
  int status_;
  int retry_after_s_;
};

// The error body each API family's clients expect:
//   kTei     {"error": "...", "error_type": "Validation"}           (text-embeddings-inference)
//   kOpenAI  {"error": {"message": "...", "type": "invalid_request_error", "param": null,
//                       "code": "model_not_found"}}
//   kKServe  {"error": "..."}                                       (KServe v2 / Triton)
enum class ErrorStyle { kTei, kOpenAI, kKServe };

int HttpStatusFor(ErrorKind kind);
Response ErrorResponse(int status, const std::string& message, ErrorStyle style);
// Runs `handler`; any exception becomes ErrorResponse. Never throws.
Response Guarded(const Handler& handler, const Request& request, ErrorStyle style) noexcept;

struct HttpOptions {
  size_t max_body_bytes = 32u << 20;         // after Content-Length, chunked framing and inflation alike
  size_t max_body_memory_bytes = 1024u << 20;  // all bodies in flight together; more wait with 503
  size_t max_header_bytes = 64u << 10;       // request line and fields: 431 beyond
  int max_header_fields = 100;               // 431 beyond
  size_t max_target_bytes = 8u << 10;        // 414 beyond
  int io_threads = 1;                        // however many connections are open
  int worker_threads = 16;                   // handlers running at once
  int max_queued_requests = 512;             // read and waiting for a worker; more get 429
  int max_connections = 4096;                // open at once; more are answered 503 and closed
  std::chrono::milliseconds header_timeout{10000};  // the whole header, from the first byte asked
  std::chrono::milliseconds body_timeout{60000};    // the whole body, from the end of the header
  std::chrono::milliseconds write_timeout{10000};   // the whole response
  std::chrono::milliseconds keep_alive_timeout{5000};  // idle between requests
  std::chrono::milliseconds drain_timeout{5000};    // after Stop(), for bodies still being received
  // From the end of the body: past it, Request::cancel is set and a failed answer becomes 504 (0: none).
  std::chrono::milliseconds request_timeout{0};
  int keep_alive_max_requests = 1000;
  // CORS: "" off, "*" any origin, else the one origin allowed.
  std::string cors_allow_origin;
  // When not empty, every route but `open_routes` (labels) needs `Authorization: Bearer KEY`.
  std::vector<std::string> api_keys;
  std::vector<std::string> open_routes;
  bool json_logs = false;  // one JSON line per request on stderr
};

class HttpSession;

class HttpServer {
 public:
  // Called once per answered request; `route` is the pattern's label ("unmatched" for no route).
  using Observer = std::function<void(const std::string& route, int status, double seconds)>;

  HttpServer(HttpOptions options, Observer observer);
  ~HttpServer();
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  // `pattern` is an ECMAScript regex matched against the whole path; `label` names the route in metrics.
  // Routes are registered before Bind().
  void Route(const std::string& method, const std::string& pattern, const std::string& label, ErrorStyle style,
             Handler handler);
  // Returns the bound port (the kernel's choice when `port` is 0). Throws vit::Error(kIo) on failure.
  int Bind(const std::string& host, int port);
  // Serves until Stop(); returns true after every connection being served has been answered (accept
  // errors, such as running out of descriptors, are retried rather than ending it).
  bool Listen();
  // Stops accepting and closes idle connections; requests being answered finish, bodies still being
  // received get drain_timeout. Safe from any thread, and before or during Listen().
  void Stop();
  // Connections open now (for tests and metrics).
  int open_connections() const;

 private:
  friend class HttpSession;
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace vit::serve
