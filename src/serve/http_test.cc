#include "serve/http.h"

#include "core/cancel.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <thread>
#include <zlib.h>

#include <atomic>
#include <chrono>
#include <dirent.h>
#include <poll.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

namespace vit::serve {
namespace {

using Json = nlohmann::json;

TEST(HttpStatus, FollowsTheErrorKind) {
  EXPECT_EQ(HttpStatusFor(ErrorKind::kInvalidArgument), 400);
  EXPECT_EQ(HttpStatusFor(ErrorKind::kInvalidInput), 422);
  EXPECT_EQ(HttpStatusFor(ErrorKind::kUnsupported), 422);
  EXPECT_EQ(HttpStatusFor(ErrorKind::kNotFound), 404);
  EXPECT_EQ(HttpStatusFor(ErrorKind::kInternal), 500);
  EXPECT_EQ(HttpStatusFor(ErrorKind::kIo), 500);
}

TEST(Guarded, TurnsEveryExceptionIntoAJsonError) {
  const Request request;
  auto run = [&](auto thrower, ErrorStyle style = ErrorStyle::kTei) {
    return Guarded([&](const Request&) -> Response { thrower(); return {}; }, request, style);
  };
  Response r = run([] { throw Error("inputs[1]: not an image", ErrorKind::kInvalidInput); });
  EXPECT_EQ(r.status, 422);
  EXPECT_EQ(r.content_type, "application/json");
  EXPECT_EQ(Json::parse(r.body)["error"], "inputs[1]: not an image");
  EXPECT_EQ(Json::parse(r.body)["error_type"], "Tokenizer");  // TEI's name for input it cannot use

  r = run([] { throw HttpError(429, "busy", 1); });
  EXPECT_EQ(r.status, 429);
  ASSERT_EQ(r.headers.size(), 1u);
  EXPECT_EQ(r.headers[0], (std::pair<std::string, std::string>{"Retry-After", "1"}));

  r = run([] { throw std::runtime_error("boom"); }, ErrorStyle::kOpenAI);
  EXPECT_EQ(r.status, 500);
  EXPECT_EQ(Json::parse(r.body)["error"]["code"], "server_error");
  EXPECT_EQ(Json::parse(r.body)["error"]["type"], "server_error");
  EXPECT_NE(Json::parse(r.body)["error"]["message"].get<std::string>().find("boom"), std::string::npos);

  r = run([] { throw 42; }, ErrorStyle::kKServe);
  EXPECT_EQ(r.status, 500);
  EXPECT_TRUE(Json::parse(r.body)["error"].is_string());

  r = run([] {
    Json j = Json::parse("{}");
    j["copy"] = j.at("missing");
  });
  EXPECT_EQ(r.status, 400);

  // Invalid UTF-8 quoted from a request still makes valid JSON.
  r = run([] { throw Error("bad \xff name", ErrorKind::kInvalidArgument); });
  EXPECT_NO_THROW(Json::parse(r.body));
}

// --- raw sockets: the framing is what these tests are about, so no HTTP client library.

int Connect(int port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(static_cast<uint16_t>(port));
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)) != 0) {
    ::close(fd);
    return -1;
  }
  return fd;
}

bool SendAll(int fd, std::string_view data) {
  while (!data.empty()) {
    const ssize_t n = ::send(fd, data.data(), data.size(), MSG_NOSIGNAL);
    if (n <= 0) return false;
    data.remove_prefix(static_cast<size_t>(n));
  }
  return true;
}

struct RawResponse {
  int status = 0;  // 0: the connection closed (or timed out) before a whole answer
  std::map<std::string, std::string> headers;  // names lower-cased
  std::string body;
  std::string Header(const std::string& name) const {
    auto it = headers.find(name);
    return it == headers.end() ? "" : it->second;
  }
};

// Reads answers off one connection; keeps what follows one answer for the next.
// Sends `bytes` one at a time, a poll interval apart, until the server answers or closes. Every read the
// server makes then finishes at once, so only a deadline on the whole phase (header or body) can stop it.
void DripUntilAnswered(int fd, const std::string& bytes) {
  for (char c : bytes) {
    if (!SendAll(fd, std::string_view(&c, 1))) return;
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, /*ms*/ 50) > 0) return;
  }
}

class Reader {
 public:
  explicit Reader(int fd) : fd_(fd) {}
  // One answer within `timeout`.
  RawResponse Next(std::chrono::milliseconds timeout = std::chrono::milliseconds(5000)) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    RawResponse r;
    size_t header_end;
    while ((header_end = data_.find("\r\n\r\n")) == std::string::npos)
      if (!Fill(deadline)) return r;
    std::string head = data_.substr(0, header_end);
    size_t pos = head.find("\r\n");
    const std::string status_line = head.substr(0, pos);
    const int status = std::atoi(status_line.c_str() + 9);
    while (pos != std::string::npos && pos < head.size()) {
      const size_t next = head.find("\r\n", pos + 2);
      const std::string line = head.substr(pos + 2, next == std::string::npos ? std::string::npos : next - pos - 2);
      const size_t colon = line.find(':');
      if (colon != std::string::npos) {
        std::string name = line.substr(0, colon);
        for (auto& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        std::string value = line.substr(colon + 1);
        while (!value.empty() && value.front() == ' ') value.erase(0, 1);
        r.headers[name] = value;
      }
      pos = next;
    }
    const size_t length = r.headers.count("content-length") ? std::stoul(r.headers["content-length"]) : 0;
    while (data_.size() < header_end + 4 + length)
      if (!Fill(deadline)) return RawResponse{};
    r.body = data_.substr(header_end + 4, length);
    data_.erase(0, header_end + 4 + length);
    r.status = status;
    return r;
  }
  // True when the server closes the connection within `timeout`.
  bool Closed(std::chrono::milliseconds timeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (Fill(deadline)) {
    }
    return closed_;
  }
  const std::string& data() const { return data_; }

 private:
  bool Fill(std::chrono::steady_clock::time_point deadline) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0 || closed_) return false;
    pollfd p{fd_, POLLIN, 0};
    if (::poll(&p, 1, static_cast<int>(left.count())) <= 0) return false;
    char buffer[65536];
    const ssize_t n = ::recv(fd_, buffer, sizeof(buffer), 0);
    if (n <= 0) {
      closed_ = true;
      return false;
    }
    data_.append(buffer, static_cast<size_t>(n));
    return true;
  }
  int fd_;
  std::string data_;
  bool closed_ = false;
};

// One request on a new connection, one answer.
RawResponse Exchange(int port, std::string_view request) {
  const int fd = Connect(port);
  if (fd < 0) return {};
  SendAll(fd, request);
  RawResponse r = Reader(fd).Next();
  ::close(fd);
  return r;
}

std::string Post(const std::string& path, const std::string& body, const std::string& extra = "") {
  return "POST " + path + " HTTP/1.1\r\nHost: x\r\nContent-Type: application/octet-stream\r\nContent-Length: " +
         std::to_string(body.size()) + "\r\n" + extra + "\r\n" + body;
}

std::string Gzip(const std::string& data) {
  z_stream z{};
  deflateInit2(&z, 9, Z_DEFLATED, 16 + MAX_WBITS, 9, Z_DEFAULT_STRATEGY);
  std::string out(deflateBound(&z, data.size()) + 64, '\0');
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
  z.avail_in = static_cast<uInt>(data.size());
  z.next_out = reinterpret_cast<Bytef*>(out.data());
  z.avail_out = static_cast<uInt>(out.size());
  deflate(&z, Z_FINISH);
  out.resize(z.total_out);
  deflateEnd(&z);
  return out;
}

// A gzip stream of `mib` MiB of zeros, built in milliseconds: one MiB compressed twice with a sync
// flush, the second copy repeated (its back-references only ever reach zeros). The trailer's CRC is
// not that of the whole; a server must stop at its limit long before it gets there.
std::string GzipBombOfZeros(int mib) {
  z_stream z{};
  deflateInit2(&z, 9, Z_DEFLATED, 16 + MAX_WBITS, 9, Z_DEFAULT_STRATEGY);
  std::string zeros(1 << 20, '\0');
  auto step = [&](int flush, bool with_input) {
    std::string out(deflateBound(&z, zeros.size()) + 64, '\0');
    z.next_in = reinterpret_cast<Bytef*>(zeros.data());
    z.avail_in = with_input ? static_cast<uInt>(zeros.size()) : 0;
    z.next_out = reinterpret_cast<Bytef*>(out.data());
    z.avail_out = static_cast<uInt>(out.size());
    deflate(&z, flush);
    out.resize(out.size() - z.avail_out);
    return out;
  };
  std::string bomb = step(Z_SYNC_FLUSH, true);
  const std::string block = step(Z_SYNC_FLUSH, true);
  for (int i = 2; i < mib; ++i) bomb += block;
  bomb += step(Z_FINISH, false);
  deflateEnd(&z);
  return bomb;
}

int ThreadsOfThisProcess() {
  int n = 0;
  if (DIR* d = ::opendir("/proc/self/task")) {
    while (dirent* e = ::readdir(d))
      if (e->d_name[0] != '.') ++n;
    ::closedir(d);
  }
  return n;
}

// A server on a free loopback port, serving in a thread until the fixture ends.
class HttpServerTest : public ::testing::Test {
 protected:
  void Start(HttpOptions options = {}) {
    server_ = std::make_unique<HttpServer>(options, [this](const std::string& route, int status, double) {
      std::lock_guard lock(mutex_);
      observed_.emplace_back(route, status);
    });
    server_->Route("GET", "/hello", "/hello", ErrorStyle::kTei, [](const Request& r) {
      return Response::Json(Json{{"query", r.Query("name").value_or("")}, {"agent", r.Header("x-agent")}}.dump());
    });
    server_->Route("GET", "/health", "/health", ErrorStyle::kTei, [](const Request&) { return Response::Json("{}"); });
    server_->Route("POST", "/models/(.+)/echo", "/models/{name}/echo", ErrorStyle::kKServe, [](const Request& r) {
      Response out;
      out.content_type = "application/octet-stream";
      out.body = r.path_params.at(0) + ":" + std::string(r.body);
      return out;
    });
    server_->Route("POST", "/fail", "/fail", ErrorStyle::kOpenAI,
                   [](const Request&) -> Response { throw Error("no such thing", ErrorKind::kNotFound); });
    server_->Route("POST", "/wait", "/wait", ErrorStyle::kTei, [this](const Request& r) {
      // Until the client goes away (or 10 s).
      for (int i = 0; i < 1000 && !r.Cancelled(); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(10));
      saw_cancel_ = r.Cancelled();
      return Response::Json("{}");
    });
    server_->Route("POST", "/spin", "/spin", ErrorStyle::kTei, [](const Request&) -> Response {
      // Work that checks only this thread's cancel flag (core/cancel.h), as decoding does.
      const auto start = std::chrono::steady_clock::now();
      while (std::chrono::steady_clock::now() - start < std::chrono::seconds(10)) ThrowIfCancelled();
      return Response::Json("{}");
    });
    port_ = server_->Bind("127.0.0.1", 0);
    thread_ = std::thread([this] { listened_ = server_->Listen(); });
  }
  void TearDown() override {
    if (server_) server_->Stop();
    if (thread_.joinable()) thread_.join();
  }
  std::vector<std::pair<std::string, int>> Observed() {
    std::lock_guard lock(mutex_);
    return observed_;
  }

  std::unique_ptr<HttpServer> server_;
  std::thread thread_;
  int port_ = 0;
  bool listened_ = false;
  std::atomic<bool> saw_cancel_{false};
  std::mutex mutex_;
  std::vector<std::pair<std::string, int>> observed_;
};

TEST_F(HttpServerTest, RoutesQueryHeadersAndCaptures) {
  Start();
  auto r = Exchange(port_, "GET /hello?name=cat+dog%21 HTTP/1.1\r\nHost: x\r\nX-Agent: test\r\n\r\n");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.Header("content-type"), "application/json");
  EXPECT_EQ(Json::parse(r.body), (Json{{"query", "cat dog!"}, {"agent", "test"}}));
  r = Exchange(port_, Post("/models/org/name/echo", std::string("a\0b", 3)));
  EXPECT_EQ(r.body, std::string("org/name:a\0b", 12));
  r = Exchange(port_, Post("/fail", "{}"));
  EXPECT_EQ(r.status, 404);
  EXPECT_EQ(Json::parse(r.body)["error"]["message"], "no such thing");
  auto observed = Observed();
  ASSERT_EQ(observed.size(), 3u);
  EXPECT_EQ(observed[0], (std::pair<std::string, int>{"/hello", 200}));
  EXPECT_EQ(observed[1], (std::pair<std::string, int>{"/models/{name}/echo", 200}));
  EXPECT_EQ(observed[2], (std::pair<std::string, int>{"/fail", 404}));
}

TEST_F(HttpServerTest, UnknownRouteIsAJson404) {
  Start();
  auto r = Exchange(port_, "GET /nothing HTTP/1.1\r\nHost: x\r\n\r\n");
  EXPECT_EQ(r.status, 404);
  EXPECT_NE(Json::parse(r.body)["error"].get<std::string>().find("/nothing"), std::string::npos);
  EXPECT_EQ(Observed().at(0), (std::pair<std::string, int>{"unmatched", 404}));
}

TEST_F(HttpServerTest, WrongMethodIs405WithAllowAndUnknownMethodIs501) {
  Start();
  auto r = Exchange(port_, "GET /models/m/echo HTTP/1.1\r\nHost: x\r\n\r\n");
  EXPECT_EQ(r.status, 405);
  EXPECT_EQ(r.Header("allow"), "POST, OPTIONS");
  EXPECT_NE(Json::parse(r.body)["error"].get<std::string>().find("GET"), std::string::npos);
  r = Exchange(port_, "BREW /hello HTTP/1.1\r\nHost: x\r\n\r\n");
  EXPECT_EQ(r.status, 501);
  // Refused requests count under the route they were aimed at.
  EXPECT_EQ(Observed().at(0), (std::pair<std::string, int>{"/models/{name}/echo", 405}));
}

TEST_F(HttpServerTest, BodyOverTheLimitIs413ForEveryFraming) {
  HttpOptions options;
  options.max_body_bytes = 1000;
  Start(options);
  auto r = Exchange(port_, Post("/models/m/echo", std::string(5000, 'x')));
  EXPECT_EQ(r.status, 413);
  EXPECT_NE(Json::parse(r.body)["error"].get<std::string>().find("1000 bytes"), std::string::npos);
  EXPECT_EQ(Exchange(port_, Post("/models/m/echo", std::string(1000, 'x'))).status, 200);
  // Chunked: the sum of the chunks.
  std::string chunked = "POST /models/m/echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n";
  for (int i = 0; i < 20; ++i) chunked += "64\r\n" + std::string(100, 'y') + "\r\n";
  chunked += "0\r\n\r\n";
  EXPECT_EQ(Exchange(port_, chunked).status, 413);
  r = Exchange(port_, "POST /models/m/echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, "m:abc");
  // Gzip: a small body that inflates past the limit (a decompression bomb) is stopped at the limit.
  EXPECT_EQ(Exchange(port_, Post("/models/m/echo", Gzip(std::string(5000, 'z')), "Content-Encoding: gzip\r\n")).status,
            413);
  r = Exchange(port_, Post("/models/m/echo", Gzip("hello"), "Content-Encoding: gzip\r\n"));
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, "m:hello");
  EXPECT_EQ(Exchange(port_, Post("/models/m/echo", "not gzip", "Content-Encoding: gzip\r\n")).status, 400);
  EXPECT_EQ(Exchange(port_, Post("/models/m/echo", "x", "Content-Encoding: zstd\r\n")).status, 415);
  EXPECT_EQ(Exchange(port_, Post("/models/m/echo", "x", "Content-Encoding: br\r\n")).status, 415);
  for (const auto& [route, status] : Observed()) {
    if (status != 200) {
      EXPECT_EQ(route, "/models/{name}/echo");
    }
  }
}

TEST_F(HttpServerTest, GzipBombStopsAtTheLimitWhileInflating) {
  HttpOptions options;
  options.max_body_bytes = 8 << 20;
  Start(options);
  const std::string bomb = GzipBombOfZeros(4096);  // 4 GiB of zeros, 4 MB sent
  ASSERT_LT(bomb.size(), options.max_body_bytes);
  const auto start = std::chrono::steady_clock::now();
  const auto r = Exchange(port_, Post("/models/m/echo", bomb, "Content-Encoding: gzip\r\n"));
  EXPECT_EQ(r.status, 413);
  EXPECT_NE(r.body.find("inflated"), std::string::npos);
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(2));
}

TEST_F(HttpServerTest, ExpectContinueOverTheLimitIs413WithoutContinue) {
  HttpOptions options;
  options.max_body_bytes = 1000;
  Start(options);
  const int fd = Connect(port_);
  SendAll(fd, "POST /models/m/echo HTTP/1.1\r\nHost: x\r\nContent-Length: 900000000\r\nExpect: 100-continue\r\n\r\n");
  Reader reader(fd);
  auto r = reader.Next(std::chrono::milliseconds(2000));
  EXPECT_EQ(r.status, 413);
  ::close(fd);
  // Within the limit: 100 Continue, then the answer.
  const int ok = Connect(port_);
  SendAll(ok, "POST /models/m/echo HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nExpect: 100-continue\r\n\r\n");
  Reader ok_reader(ok);
  EXPECT_EQ(ok_reader.Next(std::chrono::milliseconds(2000)).status, 100);
  SendAll(ok, "abc");
  EXPECT_EQ(ok_reader.Next().body, "m:abc");
  ::close(ok);
  // An absurd length is refused at once.
  const auto start = std::chrono::steady_clock::now();
  EXPECT_EQ(Exchange(port_, "POST /models/m/echo HTTP/1.1\r\nHost: x\r\nContent-Length: 99999999999999\r\n\r\n").status,
            413);
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(1));
}

TEST_F(HttpServerTest, PostWithoutLengthIsAnEmptyBodyAnsweredAtOnce) {
  Start();
  const auto start = std::chrono::steady_clock::now();
  const auto r = Exchange(port_, "POST /models/m/echo HTTP/1.1\r\nHost: x\r\n\r\n");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, "m:");
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(1));
  // A form content type (curl -d's default) is still just the body, whatever its size.
  const std::string json = "[" + std::string(20000, '1') + "]";
  const auto form = Exchange(port_, "POST /models/m/echo HTTP/1.1\r\nHost: x\r\nContent-Type: "
                                    "application/x-www-form-urlencoded\r\nContent-Length: " +
                                        std::to_string(json.size()) + "\r\n\r\n" + json);
  EXPECT_EQ(form.status, 200);
  EXPECT_EQ(form.body, "m:" + json);
}

TEST_F(HttpServerTest, PipelinedRequestsAreAllAnsweredInOrder) {
  Start();
  const int fd = Connect(port_);
  std::string burst;
  for (int i = 0; i < 5; ++i) burst += Post("/models/n" + std::to_string(i) + "/echo", std::to_string(i));
  burst += "GET /hello?name=last HTTP/1.1\r\nHost: x\r\n\r\n";
  SendAll(fd, burst);
  Reader reader(fd);
  for (int i = 0; i < 5; ++i) EXPECT_EQ(reader.Next().body, "n" + std::to_string(i) + ":" + std::to_string(i));
  EXPECT_EQ(Json::parse(reader.Next().body)["query"], "last");
  ::close(fd);
}

TEST_F(HttpServerTest, HeadIsGetWithoutTheBody) {
  Start();
  const int fd = Connect(port_);
  SendAll(fd, "HEAD /hello?name=x HTTP/1.1\r\nHost: x\r\n\r\nGET /hello?name=x HTTP/1.1\r\nHost: x\r\n\r\n");
  Reader reader(fd);
  reader.Closed(std::chrono::milliseconds(500));  // collects what arrives
  ::close(fd);
  const std::string& all = reader.data();
  const size_t head_end = all.find("\r\n\r\n");
  ASSERT_NE(head_end, std::string::npos);
  EXPECT_EQ(all.rfind("HTTP/1.1 200", 0), 0u);
  // The GET's length is announced, no body follows: the GET's answer comes right after the header.
  EXPECT_EQ(all.compare(head_end + 4, 12, "HTTP/1.1 200"), 0) << all;
  const std::string get_body = "{\"agent\":\"\",\"query\":\"x\"}";
  EXPECT_NE(all.substr(0, head_end).find("Content-Length: " + std::to_string(get_body.size())), std::string::npos)
      << all;
  EXPECT_EQ(all.substr(all.size() - get_body.size()), get_body);
  // A HEAD where only POST is served: 405, and no body either.
  const int post_only = Connect(port_);
  SendAll(post_only, "HEAD /models/m/echo HTTP/1.1\r\nHost: x\r\n\r\n");
  Reader refused(post_only);
  refused.Closed(std::chrono::milliseconds(500));
  ::close(post_only);
  EXPECT_EQ(refused.data().rfind("HTTP/1.1 405", 0), 0u);
  EXPECT_EQ(refused.data().find("\r\n\r\n") + 4, refused.data().size());
}

TEST_F(HttpServerTest, HeaderLimitsAre431And414) {
  HttpOptions options;
  options.max_header_bytes = 4096;
  options.max_header_fields = 20;
  options.max_target_bytes = 1024;
  Start(options);
  EXPECT_EQ(Exchange(port_, "GET /hello HTTP/1.1\r\nHost: x\r\nX-Big: " + std::string(8000, 'a') + "\r\n\r\n").status,
            431);
  std::string many = "GET /hello HTTP/1.1\r\nHost: x\r\n";
  for (int i = 0; i < 30; ++i) many += "X-" + std::to_string(i) + ": v\r\n";
  EXPECT_EQ(Exchange(port_, many + "\r\n").status, 431);
  EXPECT_EQ(Exchange(port_, "GET /hello?q=" + std::string(2000, 'q') + " HTTP/1.1\r\nHost: x\r\n\r\n").status, 414);
  EXPECT_EQ(Exchange(port_, "GET /hello HTTP/1.1\r\nHost: x\r\n\r\n").status, 200);
  EXPECT_EQ(Exchange(port_, "this is not http\r\n\r\n").status, 400);
}

TEST_F(HttpServerTest, AHeaderDrippedSlowlyMeetsItsDeadline) {
  HttpOptions options;
  options.header_timeout = std::chrono::milliseconds(600);
  Start(options);
  const int fd = Connect(port_);
  const std::string request = "GET /hello HTTP/1.1\r\nHost: x\r\nX-Slow: " + std::string(100, 's') + "\r\n\r\n";
  const auto start = std::chrono::steady_clock::now();
  DripUntilAnswered(fd, request);
  Reader reader(fd);
  EXPECT_EQ(reader.Next(std::chrono::milliseconds(2000)).status, 408);
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::milliseconds(2000));
  EXPECT_TRUE(reader.Closed(std::chrono::milliseconds(2000)));
  ::close(fd);
}

TEST_F(HttpServerTest, ABodyDrippedSlowlyMeetsItsDeadline) {
  HttpOptions options;
  options.body_timeout = std::chrono::milliseconds(600);
  Start(options);
  const int fd = Connect(port_);
  SendAll(fd, "POST /models/m/echo HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\n");
  const auto start = std::chrono::steady_clock::now();
  DripUntilAnswered(fd, std::string(40, 'b'));
  EXPECT_EQ(Reader(fd).Next(std::chrono::milliseconds(2000)).status, 408);
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::milliseconds(2000));
  ::close(fd);
}

TEST_F(HttpServerTest, IdleKeepAliveConnectionsAreClosed) {
  HttpOptions options;
  options.keep_alive_timeout = std::chrono::milliseconds(300);
  Start(options);
  const int fd = Connect(port_);
  SendAll(fd, "GET /hello HTTP/1.1\r\nHost: x\r\n\r\n");
  Reader reader(fd);
  EXPECT_EQ(reader.Next().status, 200);
  const auto start = std::chrono::steady_clock::now();
  EXPECT_TRUE(reader.Closed(std::chrono::milliseconds(3000)));
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::milliseconds(2000));
  ::close(fd);
}

TEST_F(HttpServerTest, ConnectionsOverTheLimitAreRefused) {
  HttpOptions options;
  options.max_connections = 3;
  Start(options);
  std::vector<int> held;
  for (int i = 0; i < 3; ++i) held.push_back(Connect(port_));
  while (server_->open_connections() < 3) std::this_thread::sleep_for(std::chrono::milliseconds(5));
  const auto r = Exchange(port_, "GET /hello HTTP/1.1\r\nHost: x\r\n\r\n");
  EXPECT_EQ(r.status, 503);
  for (int fd : held) ::close(fd);
  while (server_->open_connections() > 0) std::this_thread::sleep_for(std::chrono::milliseconds(5));
  EXPECT_EQ(Exchange(port_, "GET /hello HTTP/1.1\r\nHost: x\r\n\r\n").status, 200);
}

TEST_F(HttpServerTest, BodiesInFlightShareOneMemoryBudget) {
  HttpOptions options;
  options.max_body_bytes = 1000;
  options.max_body_memory_bytes = 1500;
  Start(options);
  // One body of 1000 announced and not sent holds 1000 of the 1500.
  const int slow = Connect(port_);
  SendAll(slow, "POST /models/m/echo HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\nabc");
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  const auto r = Exchange(port_, Post("/models/m/echo", std::string(800, 'x')));
  EXPECT_EQ(r.status, 503);
  EXPECT_EQ(r.Header("retry-after"), "1");
  EXPECT_EQ(Exchange(port_, Post("/models/m/echo", std::string(400, 'x'))).status, 200);
  ::close(slow);
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  EXPECT_EQ(Exchange(port_, Post("/models/m/echo", std::string(800, 'x'))).status, 200);
}

TEST_F(HttpServerTest, ThreadsDoNotGrowWithConnections) {
  HttpOptions options;
  options.io_threads = 1;
  options.worker_threads = 4;
  Start(options);
  EXPECT_EQ(Exchange(port_, "GET /hello HTTP/1.1\r\nHost: x\r\n\r\n").status, 200);
  const int before = ThreadsOfThisProcess();
  std::vector<int> idle;
  for (int i = 0; i < 300; ++i) idle.push_back(Connect(port_));
  while (server_->open_connections() < 300) std::this_thread::sleep_for(std::chrono::milliseconds(5));
  EXPECT_EQ(Exchange(port_, "GET /hello HTTP/1.1\r\nHost: x\r\n\r\n").status, 200);
  EXPECT_EQ(ThreadsOfThisProcess(), before);
  for (int fd : idle) ::close(fd);
}

TEST_F(HttpServerTest, AClientThatLeavesCancelsItsRequest) {
  Start();
  const int fd = Connect(port_);
  SendAll(fd, Post("/wait", "{}"));
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  ::close(fd);
  for (int i = 0; i < 300 && !saw_cancel_; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  EXPECT_TRUE(saw_cancel_);
}

TEST_F(HttpServerTest, PastTheRequestDeadlineTheWorkStopsWithA504) {
  HttpOptions options;
  options.request_timeout = std::chrono::milliseconds(300);
  Start(options);
  const auto start = std::chrono::steady_clock::now();
  const auto r = Exchange(port_, Post("/spin", "{}"));
  EXPECT_EQ(r.status, 504);
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(2));
}

TEST_F(HttpServerTest, StopDrainsWithinItsBoundDespiteADrippingClient) {
  HttpOptions options;
  options.drain_timeout = std::chrono::milliseconds(500);
  Start(options);
  const int header = Connect(port_);
  SendAll(header, "GET /hello HTTP/1.1\r\n");
  const int body = Connect(port_);
  SendAll(body, "POST /models/m/echo HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\nab");
  const int idle = Connect(port_);
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  std::atomic<bool> dripping{true};
  std::thread dripper([&] {
    while (dripping) {
      SendAll(body, "c");
      SendAll(header, "X");
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
  });
  const auto start = std::chrono::steady_clock::now();
  server_->Stop();
  thread_.join();
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::milliseconds(2500));
  EXPECT_TRUE(listened_);
  dripping = false;
  dripper.join();
  for (int fd : {header, body, idle}) ::close(fd);
}

TEST_F(HttpServerTest, CorsAnswersPreflightsAndNamesTheOrigin) {
  HttpOptions options;
  options.cors_allow_origin = "https://app.example";
  Start(options);
  auto r = Exchange(port_, "OPTIONS /models/m/echo HTTP/1.1\r\nHost: x\r\nOrigin: https://app.example\r\n"
                           "Access-Control-Request-Method: POST\r\nAccess-Control-Request-Headers: content-type\r\n\r\n");
  EXPECT_EQ(r.status, 204);
  EXPECT_EQ(r.Header("access-control-allow-origin"), "https://app.example");
  EXPECT_EQ(r.Header("access-control-allow-methods"), "POST, OPTIONS");
  EXPECT_EQ(r.Header("access-control-allow-headers"), "content-type");
  r = Exchange(port_, "GET /hello HTTP/1.1\r\nHost: x\r\nOrigin: https://app.example\r\n\r\n");
  EXPECT_EQ(r.Header("access-control-allow-origin"), "https://app.example");
  r = Exchange(port_, "GET /hello HTTP/1.1\r\nHost: x\r\nOrigin: https://other.example\r\n\r\n");
  EXPECT_EQ(r.Header("access-control-allow-origin"), "");
}

TEST_F(HttpServerTest, ApiKeysGuardEveryRouteButTheOpenOnes) {
  HttpOptions options;
  options.api_keys = {"k1", "k2"};
  options.open_routes = {"/health"};
  Start(options);
  auto r = Exchange(port_, "GET /hello HTTP/1.1\r\nHost: x\r\n\r\n");
  EXPECT_EQ(r.status, 401);
  EXPECT_EQ(r.Header("www-authenticate"), "Bearer realm=\"vit\"");
  EXPECT_EQ(Exchange(port_, "GET /hello HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer k3\r\n\r\n").status, 401);
  EXPECT_EQ(Exchange(port_, "GET /hello HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer k2\r\n\r\n").status, 200);
  EXPECT_EQ(Exchange(port_, "GET /health HTTP/1.1\r\nHost: x\r\n\r\n").status, 200);
}

TEST_F(HttpServerTest, JsonLogsWriteOneLinePerRequest) {
  HttpOptions options;
  options.json_logs = true;
  Start(options);
  testing::internal::CaptureStderr();
  EXPECT_EQ(Exchange(port_, "GET /hello?name=a HTTP/1.1\r\nHost: x\r\n\r\n").status, 200);
  EXPECT_EQ(Exchange(port_, "GET /nothing HTTP/1.1\r\nHost: x\r\n\r\n").status, 404);
  const std::string logged = testing::internal::GetCapturedStderr();
  std::vector<Json> lines;
  size_t pos = 0, next;
  while ((next = logged.find('\n', pos)) != std::string::npos) {
    lines.push_back(Json::parse(logged.substr(pos, next - pos)));
    pos = next + 1;
  }
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_EQ(lines[0]["route"], "/hello");
  EXPECT_EQ(lines[0]["status"], 200);
  EXPECT_EQ(lines[0]["method"], "GET");
  EXPECT_EQ(lines[1]["status"], 404);
  EXPECT_EQ(lines[1]["remote_addr"], "127.0.0.1");
}

TEST_F(HttpServerTest, ABurstOfNewConnectionsIsAllServed) {
  Start();
  std::vector<int> sockets;
  // Connected but not yet accepted: they wait in the listen backlog.
  for (int i = 0; i < 100; ++i) {
    const int fd = Connect(port_);
    ASSERT_GE(fd, 0);
    sockets.push_back(fd);
  }
  int answered = 0;
  for (int fd : sockets) {
    if (SendAll(fd, "GET /hello HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n") && Reader(fd).Next().status == 200)
      ++answered;
    ::close(fd);
  }
  EXPECT_EQ(answered, 100);
}

TEST_F(HttpServerTest, StopEndsListenAndFurtherConnectionsFail) {
  Start();
  EXPECT_EQ(Exchange(port_, "GET /hello HTTP/1.1\r\nHost: x\r\n\r\n").status, 200);
  server_->Stop();
  thread_.join();
  EXPECT_TRUE(listened_);
  EXPECT_LT(Connect(port_), 0);
}

TEST_F(HttpServerTest, ASecondServerCannotTakeTheSamePort) {
  Start();
  HttpServer second({}, {});
  EXPECT_THROW(second.Bind("127.0.0.1", port_), Error);
}

TEST(HttpServer, StopBeforeListenStillEndsIt) {
  HttpServer server({}, {});
  server.Bind("127.0.0.1", 0);
  server.Stop();
  EXPECT_TRUE(server.Listen());
}

}  // namespace
}  // namespace vit::serve
