// The HTTP adapter: the only file that sees the HTTP library. Handlers are plain functions
// Request -> Response; Guarded() runs one and turns every exception into a JSON error, so a handler
// may throw vit::Error or HttpError freely and the connection still gets a proper answer.
#pragma once

#include <chrono>
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

  // "" when absent; `name` in lower case.
  std::string Header(const std::string& name) const;
  std::optional<std::string> Query(const std::string& name) const;
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
  size_t max_body_bytes = 32u << 20;
  int worker_threads = 64;  // one per open connection being served; the rest wait to be accepted
  std::chrono::milliseconds read_timeout{10000};
  std::chrono::milliseconds write_timeout{10000};
  int keep_alive_timeout_s = 5;
  int keep_alive_max_requests = 1000;
};

class HttpServer {
 public:
  // Called once per answered request; `route` is the pattern's label ("unmatched" for no route).
  using Observer = std::function<void(const std::string& route, int status, double seconds)>;

  HttpServer(HttpOptions options, Observer observer);
  ~HttpServer();
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  // `pattern` is an ECMAScript regex matched against the whole path; `label` names the route in metrics.
  void Route(const std::string& method, const std::string& pattern, const std::string& label, ErrorStyle style,
             Handler handler);
  // Returns the bound port (the kernel's choice when `port` is 0). Throws vit::Error(kIo) on failure.
  int Bind(const std::string& host, int port);
  // Serves until Stop(); returns after every connection being served has been answered: true, or
  // false when the listening socket failed.
  bool Listen();
  // Stops accepting; safe from any thread, and before or during Listen().
  void Stop();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace vit::serve
