#include "serve/http.h"

#include <httplib.h>
#include <sys/socket.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <exception>
#include <new>
#include <nlohmann/json.hpp>

namespace vit::serve {
namespace {

using Clock = std::chrono::steady_clock;

std::string Lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
  return s;
}

// text-embeddings-inference's error_type, as it spells them: Validation (its 400 and 413), Empty (no
// input), Tokenizer (its 422: input that cannot become model input, here an image that does not
// decode), Overloaded (429), Unhealthy (503), Backend (the rest of 5xx).
const char* TeiErrorType(int status, const std::string& message) {
  if (status == 400 && (message.find("empty") != std::string::npos || message.find("no images") != std::string::npos))
    return "Empty";
  if (status == 422) return "Tokenizer";
  if (status == 429) return "Overloaded";
  if (status == 503) return "Unhealthy";
  if (status >= 500) return "Backend";
  return "Validation";
}

// OpenAI's error "code" strings; its "type" is invalid_request_error for the client's errors.
const char* OpenAICode(int status) {
  switch (status) {
    case 404: return "model_not_found";
    case 413: return "request_too_large";
    case 422: return "invalid_image";
    case 429: return "rate_limit_exceeded";
    case 503: return "service_unavailable";
    case 504: return "timeout";
    default: return status >= 500 ? "server_error" : "invalid_request";
  }
}

// The connection pool of the HTTP library, which also lets Stop() win a race with the start of
// Listen(): the accept loop calls on_idle() every idle interval.
class WorkerPool : public httplib::ThreadPool {
 public:
  WorkerPool(size_t threads, std::function<void()> on_idle) : ThreadPool(threads), on_idle_(std::move(on_idle)) {}
  void on_idle() override { on_idle_(); }

 private:
  std::function<void()> on_idle_;
};

// The library listens with a backlog of 5 (CPPHTTPLIB_LISTEN_BACKLOG, fixed when Debian compiled it): a
// burst of new clients overflows it and connections fail. listen() again on the bound socket raises it.
class Listener : public httplib::Server {
 public:
  bool RaiseBacklog(int backlog) { return ::listen(svr_sock_, backlog) == 0; }
};

constexpr int kListenBacklog = 1024;

}  // namespace

std::string Request::Header(const std::string& name) const {
  auto it = headers.find(name);
  return it == headers.end() ? std::string() : it->second;
}

std::optional<std::string> Request::Query(const std::string& name) const {
  auto it = query.find(name);
  if (it == query.end()) return std::nullopt;
  return it->second;
}

Response Response::Json(std::string body, int status) {
  Response r;
  r.status = status;
  r.body = std::move(body);
  return r;
}

int HttpStatusFor(ErrorKind kind) {
  switch (kind) {
    case ErrorKind::kInvalidArgument: return 400;  // the request itself is malformed
    case ErrorKind::kInvalidInput: return 422;     // well-formed request, unusable content (corrupt image)
    case ErrorKind::kUnsupported: return 422;      // valid content this model or build cannot serve
    case ErrorKind::kNotFound: return 404;
    case ErrorKind::kUnauthorized:
    case ErrorKind::kIo:
    case ErrorKind::kInternal: return 500;
  }
  return 500;
}

Response ErrorResponse(int status, const std::string& message, ErrorStyle style) {
  nlohmann::json body;
  switch (style) {
    case ErrorStyle::kTei:
      body = {{"error", message}, {"error_type", TeiErrorType(status, message)}};
      break;
    case ErrorStyle::kOpenAI:
      body = {{"error",
               {{"message", message},
                {"type", status >= 500 ? "server_error" : "invalid_request_error"},
                {"param", nullptr},
                {"code", OpenAICode(status)}}}};
      break;
    case ErrorStyle::kKServe:
      body = {{"error", message}};
      break;
  }
  // Messages may quote client bytes; replace invalid UTF-8 rather than fail to answer.
  return Response::Json(body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace), status);
}

Response Guarded(const Handler& handler, const Request& request, ErrorStyle style) noexcept {
  try {
    try {
      return handler(request);
    } catch (const HttpError& e) {
      Response r = ErrorResponse(e.status(), e.what(), style);
      if (e.retry_after_s() > 0) r.headers.emplace_back("Retry-After", std::to_string(e.retry_after_s()));
      return r;
    } catch (const Error& e) {
      return ErrorResponse(HttpStatusFor(e.kind()), e.what(), style);
    } catch (const nlohmann::json::exception& e) {
      // A handler read a field with the wrong type: the request is at fault.
      return ErrorResponse(400, std::string("request body: ") + e.what(), style);
    } catch (const std::bad_alloc&) {
      return ErrorResponse(503, "out of memory while serving the request", style);
    } catch (const std::exception& e) {
      return ErrorResponse(500, std::string("internal error: ") + e.what(), style);
    } catch (...) {
      return ErrorResponse(500, "internal error", style);
    }
  } catch (...) {
    // Building the error itself failed (out of memory): a bare answer still closes the request.
    Response r;
    r.status = 500;
    r.content_type = "text/plain";
    return r;
  }
}

struct HttpServer::Impl {
  HttpOptions options;
  Observer observer;
  Listener server;
  std::atomic<bool> stop_requested{false};

  static void Answer(Response from, httplib::Response& to) {
    to.status = from.status;
    for (const auto& [name, value] : from.headers) to.set_header(name, value);
    to.set_header("Content-Type", from.content_type);
    to.body = std::move(from.body);
  }

  static Request Convert(const httplib::Request& from) {
    Request to;
    to.method = from.method;
    to.path = from.path;
    to.body = from.body;
    for (size_t i = 1; i < from.matches.size(); ++i) to.path_params.push_back(from.matches[i].str());
    for (const auto& [name, value] : from.headers) to.headers.emplace(Lower(name), value);
    for (const auto& [name, value] : from.params) to.query.emplace(name, value);
    return to;
  }
};

HttpServer::HttpServer(HttpOptions options, Observer observer) : impl_(std::make_unique<Impl>()) {
  impl_->options = options;
  impl_->observer = std::move(observer);
  httplib::Server& s = impl_->server;
  Impl* impl = impl_.get();
  s.new_task_queue = [impl] {
    return new WorkerPool(static_cast<size_t>(std::max(1, impl->options.worker_threads)), [impl] {
      if (impl->stop_requested) impl->server.stop();
    });
  };
  s.set_idle_interval(0, 100000);
  s.set_payload_max_length(options.max_body_bytes);
  s.set_read_timeout(std::chrono::duration_cast<std::chrono::microseconds>(options.read_timeout));
  s.set_write_timeout(std::chrono::duration_cast<std::chrono::microseconds>(options.write_timeout));
  s.set_keep_alive_timeout(options.keep_alive_timeout_s);
  s.set_keep_alive_max_count(static_cast<size_t>(std::max(1, options.keep_alive_max_requests)));
  s.set_tcp_nodelay(true);
  // The library's default also sets SO_REUSEPORT, with which a second server on the same port starts
  // without error and silently takes half the connections. SO_REUSEADDR alone still allows a restart
  // while old connections linger in TIME_WAIT.
  s.set_socket_options([](socket_t sock) {
    const int yes = 1;
    setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof(yes));
  });
  // Errors the library answers itself (no route, body over the limit, unparsable request line):
  // give them the same JSON shape. Handler answers already carry a body and pass through.
  s.set_error_handler(httplib::Server::HandlerWithResponse([impl](const httplib::Request& req,
                                                                  httplib::Response& res) {
    if (!res.body.empty()) return httplib::Server::HandlerResponse::Unhandled;
    std::string message;
    if (res.status == 413)
      message = "request body exceeds the limit of " + std::to_string(impl->options.max_body_bytes) +
                " bytes (--max-body-mb)";
    else if (res.status == 404)
      message = "no route for " + req.method + " " + req.path;
    else
      message = "malformed HTTP request";
    Impl::Answer(ErrorResponse(res.status, message, ErrorStyle::kTei), res);
    if (impl->observer) impl->observer("unmatched", res.status, 0.0);
    return httplib::Server::HandlerResponse::Handled;
  }));
  s.set_exception_handler([](const httplib::Request&, httplib::Response& res, std::exception_ptr) {
    res.status = 500;
    res.set_content(R"({"error":"internal error"})", "application/json");
  });
}

HttpServer::~HttpServer() = default;

void HttpServer::Route(const std::string& method, const std::string& pattern, const std::string& label,
                       ErrorStyle style, Handler handler) {
  Impl* impl = impl_.get();
  httplib::Server::Handler adapter = [impl, label, style, handler = std::move(handler)](
                                         const httplib::Request& req, httplib::Response& res) {
    const auto start = Clock::now();
    Response response = Guarded(handler, Impl::Convert(req), style);
    const int status = response.status;
    Impl::Answer(std::move(response), res);
    if (impl->observer) impl->observer(label, status, std::chrono::duration<double>(Clock::now() - start).count());
  };
  if (method == "GET")
    impl_->server.Get(pattern, std::move(adapter));
  else if (method == "POST")
    impl_->server.Post(pattern, std::move(adapter));
  else
    throw Error("HttpServer::Route: unsupported method " + method, ErrorKind::kInternal);
}

int HttpServer::Bind(const std::string& host, int port) {
  Listener& s = impl_->server;
  if (port == 0) {
    port = s.bind_to_any_port(host);
    if (port < 0) throw Error("cannot listen on " + host + " (any port)", ErrorKind::kIo);
  } else if (!s.bind_to_port(host, port)) {
    throw Error("cannot listen on " + host + ":" + std::to_string(port) + " (address in use or not local?)",
                ErrorKind::kIo);
  }
  if (!s.RaiseBacklog(kListenBacklog))
    throw Error("cannot raise the listen backlog on " + host + ":" + std::to_string(port), ErrorKind::kIo);
  return port;
}

bool HttpServer::Listen() {
  if (impl_->stop_requested) return true;
  const bool ok = impl_->server.listen_after_bind();
  return ok || impl_->stop_requested;
}

void HttpServer::Stop() {
  impl_->stop_requested = true;
  impl_->server.stop();
}

}  // namespace vit::serve
