// HttpServer on Boost.Beast and Asio: a few I/O threads run every connection as a state machine
// (idle -> header -> body -> handler -> write), each phase under one deadline for the whole phase;
// handlers run on a WorkerPool. A connection costs its buffers, never a thread.
#include <pthread.h>
#include <sys/socket.h>

#include <algorithm>
#include <atomic>
#include <utility>  // before Asio: Boost 1.74's awaitable.hpp uses std::exchange unincluded
#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <cctype>
#include <cerrno>
#include <cstdio>
#include <ctime>
#include <limits>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <regex>
#include <thread>
#include <unordered_map>

#include "core/cancel.h"
#include "serve/http.h"
#include "serve/inflate.h"
#include "serve/worker_pool.h"

namespace vit::serve {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using tcp = asio::ip::tcp;
using Clock = std::chrono::steady_clock;
using Ms = std::chrono::milliseconds;

std::string Lower(std::string_view v) {
  std::string s(v);
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
  return s;
}

int HexDigit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Percent-decoding; in a query, '+' is a space.
std::string Unescape(std::string_view s, bool plus_is_space) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%' && i + 2 < s.size() && HexDigit(s[i + 1]) >= 0 && HexDigit(s[i + 2]) >= 0) {
      out.push_back(static_cast<char>(HexDigit(s[i + 1]) * 16 + HexDigit(s[i + 2])));
      i += 2;
    } else if (plus_is_space && s[i] == '+') {
      out.push_back(' ');
    } else {
      out.push_back(s[i]);
    }
  }
  return out;
}

std::map<std::string, std::string> ParseQuery(std::string_view q) {
  std::map<std::string, std::string> out;
  while (!q.empty()) {
    const size_t amp = q.find('&');
    const std::string_view pair = q.substr(0, amp);
    q = amp == std::string_view::npos ? std::string_view() : q.substr(amp + 1);
    if (pair.empty()) continue;
    const size_t eq = pair.find('=');
    std::string name = Unescape(pair.substr(0, eq), true);
    std::string value = eq == std::string_view::npos ? std::string() : Unescape(pair.substr(eq + 1), true);
    out.emplace(std::move(name), std::move(value));
  }
  return out;
}

// Comparison whose time does not depend on where the strings differ.
bool SameKey(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  unsigned char diff = 0;
  for (size_t i = 0; i < a.size(); ++i) diff |= static_cast<unsigned char>(a[i] ^ b[i]);
  return diff == 0;
}

std::string UtcNow() {
  const auto now = std::chrono::system_clock::now();
  const std::time_t t = std::chrono::system_clock::to_time_t(now);
  const auto ms = std::chrono::duration_cast<Ms>(now.time_since_epoch()).count() % 1000;
  std::tm tm{};
  gmtime_r(&t, &tm);
  char text[64];
  std::snprintf(text, sizeof(text), "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900, tm.tm_mon + 1,
                tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, static_cast<int>(ms));
  return text;
}

// Bytes of bodies in flight, all connections together.
class ByteBudget {
 public:
  explicit ByteBudget(size_t limit) : limit_(limit) {}
  bool TryTake(size_t n) {
    size_t used = used_.load();
    do {
      if (used + n > limit_) return false;
    } while (!used_.compare_exchange_weak(used, used + n));
    return true;
  }
  void Give(size_t n) { used_ -= n; }

 private:
  const size_t limit_;
  std::atomic<size_t> used_{0};
};

// Connections past max_connections still get a 503 (and a moment to read it) up to this many more;
// beyond, they are closed at once.
constexpr int kRefusing = 64;

struct RouteEntry {
  std::string method;
  std::regex pattern;
  std::string label;
  ErrorStyle style;
  Handler handler;
};

}  // namespace

class HttpSession;

struct HttpServer::Impl {
  HttpOptions options;
  Observer observer;
  std::vector<RouteEntry> routes;
  ByteBudget budget;
  std::atomic<bool> stopping{false};
  std::atomic<int> connections{0};
  std::mutex sessions_mutex;
  std::unordered_map<void*, std::weak_ptr<HttpSession>> sessions;
  // Handlers still queued hold sessions: the pool is emptied (~HttpServer) before anything else goes.
  std::unique_ptr<WorkerPool> pool;
  // Last, so destroyed first: the sessions the io_context still holds end while what they use lives.
  asio::io_context io;
  tcp::acceptor acceptor{io};
  std::optional<asio::executor_work_guard<asio::io_context::executor_type>> work{asio::make_work_guard(io)};

  explicit Impl(HttpOptions o)
      : options(std::move(o)), budget(options.max_body_memory_bytes), io(std::max(1, options.io_threads)) {}

  void Accept();
  void ReleaseWorkWhenDone() {
    std::lock_guard lock(sessions_mutex);
    if (stopping && sessions.empty() && work) work.reset();
  }
};

namespace {

enum class Phase { kIdle, kHeader, kBody, kHandler, kWrite, kLinger, kClosed };

// What one request needs once its header is in.
struct Pending {
  const RouteEntry* route = nullptr;
  std::string label = "unmatched";
  ErrorStyle style = ErrorStyle::kTei;
  std::vector<std::string> params;
  std::string path;
  std::string query;
  std::string method;
  std::string origin;
  ContentCoding coding = ContentCoding::kIdentity;
  size_t reserved = 0;  // taken from the budget
  Clock::time_point start;
  bool keep_alive = true;
};

}  // namespace

class HttpSession : public std::enable_shared_from_this<HttpSession> {
 public:
  HttpSession(HttpServer::Impl& impl, tcp::socket socket)
      : impl_(impl), socket_(std::move(socket)), timer_(socket_.get_executor()) {
    beast::error_code ec;
    const auto endpoint = socket_.remote_endpoint(ec);
    if (!ec) remote_ = endpoint.address().to_string();
  }
  ~HttpSession() {
    GiveBack();
    --impl_.connections;
    {
      std::lock_guard lock(impl_.sessions_mutex);
      impl_.sessions.erase(this);
    }
    impl_.ReleaseWorkWhenDone();
  }

  void Start(bool refuse) {
    {
      std::lock_guard lock(impl_.sessions_mutex);
      impl_.sessions.emplace(this, weak_from_this());
    }
    beast::error_code ec;
    socket_.set_option(tcp::no_delay(true), ec);
    if (refuse) {
      extra_headers_ = {{"Retry-After", "1"}};
      return Respond(ErrorResponse(503,
                                   "server busy: " + std::to_string(impl_.options.max_connections) +
                                       " connections are open (--max-connections); retry later",
                                   ErrorStyle::kTei),
                     true);
    }
    BeginHeader();
  }

  tcp::socket::executor_type Executor() { return socket_.get_executor(); }

  // From Stop(), on the connection's strand.
  void OnStop() {
    switch (phase_) {
      case Phase::kIdle:
      case Phase::kHeader: Close(); break;  // no request yet
      case Phase::kBody: {
        const auto drain = Clock::now() + impl_.options.drain_timeout;
        if (drain < deadline_) SetDeadline(drain);
        break;
      }
      default: break;  // answered with Connection: close
    }
  }

 private:
  // --- deadlines: one timer, rearmed per phase; a stale expiry is ignored by its generation.
  void SetDeadline(Clock::time_point when) {
    deadline_ = when;
    const unsigned generation = ++timer_generation_;
    timer_.expires_at(when);
    timer_.async_wait([self = shared_from_this(), generation](beast::error_code ec) {
      if (ec || generation != self->timer_generation_) return;
      self->OnTimeout();
    });
  }
  void ClearDeadline() {
    ++timer_generation_;
    timer_.cancel();
  }
  void OnTimeout() {
    timed_out_ = true;
    switch (phase_) {
      case Phase::kHeader:
      case Phase::kBody: socket_.cancel(); break;  // the read ends with operation_aborted
      case Phase::kHandler:
        // Past the request's deadline: the work stops where it next checks, and the answer is a 504.
        deadline_passed_ = true;
        cancel_->store(true);
        break;
      default: Close(); break;
    }
  }

  // --- reading
  void BeginHeader() {
    if (impl_.stopping) return Close();
    phase_ = Phase::kHeader;
    SetDeadline(Clock::now() + impl_.options.header_timeout);
    parser_.emplace();
    parser_->header_limit(static_cast<std::uint32_t>(std::min<size_t>(impl_.options.max_header_bytes, UINT32_MAX)));
    // Checked below, for every framing. Not boost::none: Boost 1.74 compares a Content-Length with an
    // empty optional as greater and refuses every body.
    parser_->body_limit(std::numeric_limits<std::uint64_t>::max());
    pending_ = Pending{};
    bhttp::async_read_header(socket_, buffer_, *parser_,
                             [self = shared_from_this()](beast::error_code ec, size_t) { self->OnHeader(ec); });
  }

  void BeginIdle() {
    if (impl_.stopping) return Close();
    phase_ = Phase::kIdle;
    SetDeadline(Clock::now() + impl_.options.keep_alive_timeout);
    socket_.async_wait(tcp::socket::wait_read, [self = shared_from_this()](beast::error_code ec) {
      if (self->phase_ != Phase::kIdle) return;
      if (ec) return self->Close();
      self->BeginHeader();
    });
  }

  void OnHeader(beast::error_code ec) {
    if (phase_ == Phase::kClosed) return;
    if (ec) {
      if (ec == asio::error::operation_aborted && timed_out_) {
        if (buffer_.size() == 0) return Close();  // not one byte of a request: just an idle connection
        return Refuse(408, "the request header did not arrive within " +
                               std::to_string(impl_.options.header_timeout.count()) + " ms");
      }
      if (ec == bhttp::error::header_limit)
        return Refuse(431, "the request header exceeds " + std::to_string(impl_.options.max_header_bytes) + " bytes");
      if (ec == bhttp::error::end_of_stream || ec == asio::error::eof || ec == asio::error::connection_reset ||
          ec == asio::error::operation_aborted || ec == bhttp::error::partial_message)
        return Close();
      return Refuse(400, "malformed HTTP request: " + ec.message());
    }
    pending_.start = Clock::now();
    const auto& req = parser_->get();
    pending_.method = std::string(req.method_string());
    pending_.keep_alive = req.keep_alive();
    const std::string_view target = req.target();
    const size_t q = target.find('?');
    pending_.path = Unescape(target.substr(0, q), false);
    if (q != std::string_view::npos) pending_.query = std::string(target.substr(q + 1));
    if (auto it = req.find(bhttp::field::origin); it != req.end()) pending_.origin = std::string(it->value());
    const bool has_body = parser_->chunked() || parser_->content_length().value_or(0) > 0;

    int fields = 0;
    for (auto it = req.begin(); it != req.end(); ++it) ++fields;
    if (fields > impl_.options.max_header_fields)
      return Refuse(431, "the request has " + std::to_string(fields) + " header fields; the limit is " +
                             std::to_string(impl_.options.max_header_fields));
    if (target.size() > impl_.options.max_target_bytes)
      return Refuse(414, "the request target exceeds " + std::to_string(impl_.options.max_target_bytes) + " bytes");

    // The route: the first whose pattern matches the path and the method; the methods of all that match
    // the path make the Allow of a 405.
    // HEAD is GET without the body (RFC 9110 9.3.2).
    std::vector<std::string> allowed;
    const RouteEntry* path_match = nullptr;
    const std::string wanted = req.method() == bhttp::verb::head ? std::string("GET") : pending_.method;
    for (const RouteEntry& r : impl_.routes) {
      std::smatch m;
      if (!std::regex_match(pending_.path, m, r.pattern)) continue;
      if (!path_match) path_match = &r;
      for (const std::string& method : r.method == "GET" ? std::vector<std::string>{"GET", "HEAD"}
                                                          : std::vector<std::string>{r.method})
        if (std::find(allowed.begin(), allowed.end(), method) == allowed.end()) allowed.push_back(method);
      if (!pending_.route && r.method == wanted) {
        pending_.route = &r;
        for (size_t i = 1; i < m.size(); ++i) pending_.params.push_back(m[i].str());
      }
    }
    const RouteEntry* aimed = pending_.route ? pending_.route : path_match;
    if (aimed) {
      pending_.label = aimed->label;
      pending_.style = aimed->style;
    }
    if (req.method() == bhttp::verb::unknown)
      return Refuse(501, "method " + pending_.method + " is not implemented", has_body);
    if (!aimed) return Refuse(404, "no route for " + pending_.method + " " + pending_.path, has_body);
    std::string allow;
    for (const auto& m : allowed) allow += m + ", ";
    allow += "OPTIONS";
    if (req.method() == bhttp::verb::options) return Preflight(allow, has_body);
    if (!pending_.route) {
      extra_headers_ = {{"Allow", allow}};
      return Refuse(405, "method " + pending_.method + " is not allowed on " + pending_.path + " (allowed: " + allow +
                             ")",
                    has_body);
    }
    if (!Authorized(req)) {
      extra_headers_ = {{"WWW-Authenticate", "Bearer realm=\"vit\""}};
      return Refuse(401, "missing or wrong API key: send Authorization: Bearer KEY", has_body);
    }
    if (auto it = req.find(bhttp::field::transfer_encoding);
        it != req.end() && Lower(it->value()) != "chunked")
      return Refuse(501, "Transfer-Encoding " + std::string(it->value()) + " is not implemented (only chunked)", true);
    if (auto it = req.find(bhttp::field::content_encoding); it != req.end()) {
      pending_.coding = ParseContentCoding(it->value());
      if (pending_.coding == ContentCoding::kUnsupported)
        return Refuse(415, "Content-Encoding " + std::string(it->value()) + " is not supported (gzip, deflate)",
                      has_body);
    }
    const size_t max_body = impl_.options.max_body_bytes;
    const auto length = parser_->content_length();
    if (length && *length > max_body)
      return Refuse(413, "request body exceeds the limit of " + std::to_string(max_body) + " bytes (--max-body-mb)",
                    true);
    // Memory: the body as sent (its Content-Length, or the limit when chunked) and, compressed, what it
    // may inflate to.
    size_t need = length ? static_cast<size_t>(*length) : (parser_->chunked() ? max_body : 0);
    if (pending_.coding != ContentCoding::kIdentity && has_body) need += max_body;
    if (need > 0 && !impl_.budget.TryTake(need)) {
      extra_headers_ = {{"Retry-After", "1"}};
      return Refuse(503, "server busy: request bodies in flight fill the memory budget; retry later", has_body);
    }
    pending_.reserved = need;
    if (parser_->is_done()) return Dispatch();
    if (auto it = req.find(bhttp::field::expect); it != req.end() && Lower(it->value()) == "100-continue" &&
                                                  req.version() >= 11) {
      static constexpr std::string_view kContinue = "HTTP/1.1 100 Continue\r\n\r\n";
      phase_ = Phase::kBody;
      SetDeadline(Clock::now() + impl_.options.write_timeout);
      return asio::async_write(socket_, asio::buffer(kContinue.data(), kContinue.size()),
                               [self = shared_from_this()](beast::error_code ec, size_t) {
                                 if (ec) return self->Close();
                                 self->BeginBody();
                               });
    }
    BeginBody();
  }

  bool Authorized(const bhttp::request<bhttp::string_body>& req) const {
    const auto& keys = impl_.options.api_keys;
    if (keys.empty()) return true;
    const auto& open = impl_.options.open_routes;
    if (std::find(open.begin(), open.end(), pending_.label) != open.end()) return true;
    auto it = req.find(bhttp::field::authorization);
    if (it == req.end()) return false;
    std::string_view value = it->value();
    if (value.size() < 7 || Lower(value.substr(0, 7)) != "bearer ") return false;
    value.remove_prefix(7);
    while (!value.empty() && value.front() == ' ') value.remove_prefix(1);
    bool ok = false;
    for (const auto& key : keys) ok |= SameKey(value, key);
    return ok;
  }

  void BeginBody() {
    phase_ = Phase::kBody;
    Clock::time_point deadline = Clock::now() + impl_.options.body_timeout;
    if (impl_.stopping) deadline = std::min(deadline, Clock::now() + impl_.options.drain_timeout);
    SetDeadline(deadline);
    parser_->body_limit(impl_.options.max_body_bytes);
    bhttp::async_read(socket_, buffer_, *parser_,
                      [self = shared_from_this()](beast::error_code ec, size_t) { self->OnBody(ec); });
  }

  void OnBody(beast::error_code ec) {
    if (phase_ == Phase::kClosed) return;
    if (ec) {
      if (ec == asio::error::operation_aborted && timed_out_)
        return Refuse(408, "the request body did not arrive within " +
                               std::to_string(impl_.options.body_timeout.count()) + " ms",
                      true);
      if (ec == bhttp::error::body_limit)
        return Refuse(413,
                      "request body exceeds the limit of " + std::to_string(impl_.options.max_body_bytes) +
                          " bytes (--max-body-mb)",
                      true);
      if (ec == bhttp::error::end_of_stream || ec == asio::error::eof || ec == asio::error::connection_reset ||
          ec == asio::error::operation_aborted || ec == bhttp::error::partial_message)
        return Close();
      return Refuse(400, "malformed HTTP request body: " + ec.message(), true);
    }
    Dispatch();
  }

  // --- the handler, on the worker pool
  void Dispatch() {
    phase_ = Phase::kHandler;
    deadline_passed_ = client_gone_ = false;
    cancel_ = std::make_shared<std::atomic<bool>>(false);
    if (impl_.options.request_timeout.count() > 0)
      SetDeadline(Clock::now() + impl_.options.request_timeout);
    else
      ClearDeadline();
    auto message = std::make_shared<bhttp::request<bhttp::string_body>>(parser_->release());
    parser_.reset();
    auto request = std::make_shared<Request>();
    request->method = pending_.method;
    request->path = pending_.path;
    request->path_params = std::move(pending_.params);
    request->query = ParseQuery(pending_.query);
    for (const auto& field : *message) request->headers.emplace(Lower(field.name_string()), std::string(field.value()));
    request->remote_address = remote_;
    request->cancel = cancel_;
    request_bytes_ = message->body().size();
    const RouteEntry* route = pending_.route;
    const ContentCoding coding = pending_.coding;
    const size_t max_body = impl_.options.max_body_bytes;
    auto task = [self = shared_from_this(), message, request, route, coding, max_body]() mutable {
      // Decoding below checks the flag between scans and rows (core/cancel.h).
      CancelScope cancel_scope(request->cancel.get());
      Response response;
      std::string inflated;
      if (coding != ContentCoding::kIdentity) {
        response = Guarded(
            [&](const Request&) {
              inflated = Inflate(message->body(), coding, max_body);
              return Response{};
            },
            *request, route->style);
      }
      if (response.status == 200) {
        request->body = coding == ContentCoding::kIdentity ? std::string_view(message->body()) : inflated;
        response = Guarded(route->handler, *request, route->style);
      }
      message.reset();
      inflated = std::string();
      asio::post(self->socket_.get_executor(),
                 [self, response = std::move(response)]() mutable { self->OnHandled(std::move(response)); });
    };
    if (!impl_.pool->TryPost(std::move(task))) {
      GiveBack();
      extra_headers_ = {{"Retry-After", "1"}};
      return Respond(ErrorResponse(429, "server busy: too many requests waiting for a worker; retry later",
                                   pending_.style),
                     false);
    }
    WatchPeer();
  }

  // While the handler runs: a client that closes its end cancels the request. Pipelined bytes waiting
  // are not a close; the watch ends there.
  void WatchPeer() {
    socket_.async_wait(tcp::socket::wait_read, [self = shared_from_this()](beast::error_code ec) {
      if (ec || self->phase_ != Phase::kHandler) return;
      char byte;
      const ssize_t n = ::recv(self->socket_.native_handle(), &byte, 1, MSG_PEEK | MSG_DONTWAIT);
      if (n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)) {
        self->client_gone_ = true;
        self->cancel_->store(true);
      }
    });
  }

  void OnHandled(Response response) {
    GiveBack();
    if (phase_ == Phase::kClosed) return Observe(response.status, 0);
    ClearDeadline();
    if (client_gone_) {
      Observe(499, 0);  // nginx's "client closed request": nobody to answer
      return Close();
    }
    if (deadline_passed_ && response.status / 100 != 2)
      response = ErrorResponse(504,
                               "the request took longer than " +
                                   std::to_string(impl_.options.request_timeout.count()) + " ms (--request-timeout-ms)",
                               pending_.style);
    Respond(std::move(response), false);
  }

  // --- answers
  void Refuse(int status, const std::string& message, bool body_unread = false) {
    GiveBack();
    Respond(ErrorResponse(status, message, pending_.style), body_unread || status == 408 || status == 400 ||
                                                                status == 431 || status == 414);
  }

  void Preflight(const std::string& allow, bool body_unread) {
    Response r;
    r.status = 204;
    r.content_type.clear();
    r.headers.emplace_back("Allow", allow);
    if (!impl_.options.cors_allow_origin.empty() && parser_) {
      const auto& req = parser_->get();
      r.headers.emplace_back("Access-Control-Allow-Methods", allow);
      auto it = req.find(bhttp::field::access_control_request_headers);
      r.headers.emplace_back("Access-Control-Allow-Headers",
                             it != req.end() ? std::string(it->value()) : std::string("authorization, content-type"));
      r.headers.emplace_back("Access-Control-Max-Age", "600");
    }
    Respond(std::move(r), body_unread);
  }

  void Respond(Response response, bool close) {
    const bool keep_alive = !close && pending_.keep_alive && !impl_.stopping &&
                            ++served_ < impl_.options.keep_alive_max_requests;
    auto res = std::make_shared<bhttp::response<bhttp::string_body>>();
    res->version(11);
    res->result(static_cast<unsigned>(response.status));
    res->set(bhttp::field::server, "vit");
    for (auto& [name, value] : extra_headers_) res->insert(name, value);
    extra_headers_.clear();
    for (auto& [name, value] : response.headers) res->insert(name, value);
    if (!response.content_type.empty()) res->set(bhttp::field::content_type, response.content_type);
    const std::string& cors = impl_.options.cors_allow_origin;
    if (!cors.empty() && !pending_.origin.empty()) {
      if (cors == "*") {
        res->set(bhttp::field::access_control_allow_origin, "*");
      } else if (pending_.origin == cors) {
        res->set(bhttp::field::access_control_allow_origin, cors);
        res->set(bhttp::field::vary, "Origin");
      }
    }
    res->body() = std::move(response.body);
    res->keep_alive(keep_alive);
    res->prepare_payload();
    if (pending_.method == "HEAD") res->body().clear();  // the GET's Content-Length, no body
    response_bytes_ = res->body().size();
    Observe(response.status, response_bytes_);
    phase_ = Phase::kWrite;
    SetDeadline(Clock::now() + impl_.options.write_timeout);
    bhttp::async_write(socket_, *res, [self = shared_from_this(), res, keep_alive](beast::error_code ec, size_t) {
      if (self->phase_ == Phase::kClosed) return;
      if (ec) return self->Close();
      if (!keep_alive) return self->Linger();
      if (self->buffer_.size() > 0) return self->BeginHeader();  // pipelined: the next request is here
      self->BeginIdle();
    });
  }

  void Observe(int status, size_t response_bytes) {
    const auto start = pending_.start == Clock::time_point{} ? Clock::now() : pending_.start;
    const double seconds = std::chrono::duration<double>(Clock::now() - start).count();
    if (impl_.observer) impl_.observer(pending_.label, status, seconds);
    if (impl_.options.json_logs) {
      nlohmann::json line = {{"timestamp", UtcNow()},
                             {"level", status >= 500 ? "ERROR" : (status >= 400 ? "WARN" : "INFO")},
                             {"method", pending_.method},
                             {"path", pending_.path},
                             {"route", pending_.label},
                             {"status", status},
                             {"duration_ms", seconds * 1000.0},
                             {"remote_addr", remote_},
                             {"request_bytes", request_bytes_},
                             {"response_bytes", response_bytes}};
      const std::string text = line.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
      std::fwrite(text.data(), 1, text.size(), stderr);
    }
    request_bytes_ = 0;
  }

  // After the last answer: stop sending, read and drop what the client still sends for a moment, so
  // that closing with unread bytes does not reset the connection before the client reads the answer
  // (clients that send a whole body before reading, such as Python's http.client, then see their 413
  // for bodies up to twice the limit). Costs bandwidth for a bounded time, never memory.
  void Linger() {
    phase_ = Phase::kLinger;
    beast::error_code ec;
    socket_.shutdown(tcp::socket::shutdown_send, ec);
    if (ec) return Close();
    // Shorter while the server stops, which must not wait on a client still sending.
    const Ms linger = impl_.stopping ? Ms(250) : Ms(2000);
    SetDeadline(Clock::now() + std::min<Ms>(linger, impl_.options.write_timeout));
    lingered_ = 0;
    DrainSome();
  }
  void DrainSome() {
    if (!drain_) drain_ = std::make_unique<char[]>(kDrainChunk);
    socket_.async_read_some(asio::buffer(drain_.get(), kDrainChunk),
                            [self = shared_from_this()](beast::error_code ec, size_t n) {
                              self->lingered_ += n;
                              const size_t cap = std::max<size_t>(2 * self->impl_.options.max_body_bytes, 16u << 20);
                              if (ec || self->phase_ != Phase::kLinger || self->lingered_ > cap)
                                return self->Close();
                              self->DrainSome();
                            });
  }

  void Close() {
    if (phase_ == Phase::kClosed) return;
    phase_ = Phase::kClosed;
    GiveBack();
    ClearDeadline();
    beast::error_code ec;
    socket_.shutdown(tcp::socket::shutdown_both, ec);
    socket_.close(ec);
  }

  void GiveBack() {
    if (pending_.reserved) impl_.budget.Give(std::exchange(pending_.reserved, 0));
  }

  static constexpr size_t kDrainChunk = 64 * 1024;

  HttpServer::Impl& impl_;
  tcp::socket socket_;
  asio::steady_timer timer_;
  Clock::time_point deadline_{};
  unsigned timer_generation_ = 0;
  bool timed_out_ = false;
  bool deadline_passed_ = false;  // the handler ran past request_timeout
  bool client_gone_ = false;      // the client closed its end while the handler ran
  Phase phase_ = Phase::kIdle;
  beast::flat_buffer buffer_;
  std::optional<bhttp::request_parser<bhttp::string_body>> parser_;
  Pending pending_;
  std::vector<std::pair<std::string, std::string>> extra_headers_;
  std::shared_ptr<std::atomic<bool>> cancel_;
  std::unique_ptr<char[]> drain_;
  size_t lingered_ = 0;
  size_t request_bytes_ = 0;
  size_t response_bytes_ = 0;
  int served_ = 0;
  std::string remote_;
};

void HttpServer::Impl::Accept() {
  acceptor.async_accept(asio::make_strand(io), [this](beast::error_code ec, tcp::socket socket) {
    if (stopping) return;
    if (ec) {
      if (ec == asio::error::operation_aborted) return;
      // Out of descriptors (EMFILE) or a connection reset before it was taken: try again shortly.
      auto timer = std::make_shared<asio::steady_timer>(io, Ms(50));
      timer->async_wait([this, timer](beast::error_code) {
        if (!stopping) Accept();
      });
      return;
    }
    const int open = connections.load();
    if (open >= options.max_connections + kRefusing) {
      beast::error_code ignored;
      socket.close(ignored);  // far over the limit: not even an answer
      if (observer) observer("unmatched", 503, 0.0);
    } else {
      ++connections;
      auto session = std::make_shared<HttpSession>(*this, std::move(socket));
      // The session's handlers run on its socket's strand; start it there. Over the limit, it only
      // answers 503 and closes.
      const bool refuse = open >= options.max_connections;
      asio::post(session->Executor(), [session, refuse] { session->Start(refuse); });
    }
    Accept();
  });
}

HttpServer::HttpServer(HttpOptions options, Observer observer) : impl_(std::make_unique<Impl>(std::move(options))) {
  impl_->observer = std::move(observer);
}

HttpServer::~HttpServer() {
  Stop();
  // Handlers still queued or running finish first; their answers then go nowhere.
  impl_->pool.reset();
}

void HttpServer::Route(const std::string& method, const std::string& pattern, const std::string& label,
                       ErrorStyle style, Handler handler) {
  impl_->routes.push_back(RouteEntry{method, std::regex(pattern, std::regex::ECMAScript | std::regex::optimize), label,
                                     style, std::move(handler)});
}

int HttpServer::Bind(const std::string& host, int port) {
  const std::string where = host + ":" + (port == 0 ? std::string("(any port)") : std::to_string(port));
  beast::error_code ec;
  tcp::endpoint endpoint;
  const auto address = asio::ip::make_address(host == "localhost" ? "127.0.0.1" : host, ec);
  if (!ec) {
    endpoint = tcp::endpoint(address, static_cast<unsigned short>(port));
  } else {
    tcp::resolver resolver(impl_->io);
    auto results = resolver.resolve(host, std::to_string(port), ec);
    if (ec || results.empty()) throw Error("cannot listen on " + where + ": " + ec.message(), ErrorKind::kIo);
    endpoint = results.begin()->endpoint();
  }
  tcp::acceptor& a = impl_->acceptor;
  a.open(endpoint.protocol(), ec);
  // SO_REUSEADDR alone (never SO_REUSEPORT, with which a second server on the same port starts without
  // error and takes half the connections) still allows a restart while old connections linger in TIME_WAIT.
  if (!ec) a.set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec) a.bind(endpoint, ec);
  if (!ec) a.listen(1024, ec);
  if (ec) {
    beast::error_code ignored;
    a.close(ignored);
    throw Error("cannot listen on " + where + " (address in use or not local?): " + ec.message(), ErrorKind::kIo);
  }
  return a.local_endpoint().port();
}

bool HttpServer::Listen() {
  Impl& impl = *impl_;
  if (impl.stopping) return true;
  if (!impl.pool)
    impl.pool = std::make_unique<WorkerPool>(impl.options.worker_threads,
                                             static_cast<size_t>(std::max(1, impl.options.max_queued_requests)));
  asio::post(impl.io, [&impl] {
    if (!impl.stopping) impl.Accept();
  });
  // Threads of their own (not the caller's), so that naming them leaves the process's name alone.
  std::vector<std::thread> threads;
  for (int i = 0; i < std::max(1, impl.options.io_threads); ++i)
    threads.emplace_back([&impl] {
      pthread_setname_np(pthread_self(), "vit-http-io");
      impl.io.run();
    });
  for (auto& t : threads) t.join();
  return true;
}

void HttpServer::Stop() {
  Impl& impl = *impl_;
  if (impl.stopping.exchange(true)) return;
  asio::post(impl.io, [&impl] {
    beast::error_code ignored;
    impl.acceptor.close(ignored);
    std::vector<std::shared_ptr<HttpSession>> open;
    {
      std::lock_guard lock(impl.sessions_mutex);
      for (auto& [key, weak] : impl.sessions)
        if (auto s = weak.lock()) open.push_back(std::move(s));
    }
    for (auto& s : open) asio::post(s->Executor(), [s] { s->OnStop(); });
    open.clear();
    impl.ReleaseWorkWhenDone();
  });
}

int HttpServer::open_connections() const { return impl_->connections.load(); }

}  // namespace vit::serve
