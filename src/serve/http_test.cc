#include "serve/http.h"

#include <gtest/gtest.h>
#include <httplib.h>

#include <nlohmann/json.hpp>
#include <thread>

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
    server_->Route("POST", "/models/(.+)/echo", "/models/{name}/echo", ErrorStyle::kKServe, [](const Request& r) {
      Response out;
      out.content_type = "application/octet-stream";
      out.body = r.path_params.at(0) + ":" + std::string(r.body);
      return out;
    });
    server_->Route("POST", "/fail", "/fail", ErrorStyle::kOpenAI,
                   [](const Request&) -> Response { throw Error("no such thing", ErrorKind::kNotFound); });
    port_ = server_->Bind("127.0.0.1", 0);
    thread_ = std::thread([this] { listened_ = server_->Listen(); });
  }
  void TearDown() override {
    if (server_) server_->Stop();
    if (thread_.joinable()) thread_.join();
  }
  httplib::Client Client() {
    httplib::Client c("127.0.0.1", port_);
    c.set_read_timeout(5, 0);
    return c;
  }

  std::unique_ptr<HttpServer> server_;
  std::thread thread_;
  int port_ = 0;
  bool listened_ = false;
  std::mutex mutex_;
  std::vector<std::pair<std::string, int>> observed_;
};

TEST_F(HttpServerTest, RoutesQueryHeadersAndCaptures) {
  Start();
  auto c = Client();
  auto r = c.Get("/hello?name=cat", {{"X-Agent", "test"}});
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->get_header_value("Content-Type"), "application/json");
  EXPECT_EQ(Json::parse(r->body), (Json{{"query", "cat"}, {"agent", "test"}}));
  r = c.Post("/models/org/name/echo", std::string("a\0b", 3), "application/octet-stream");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->body, std::string("org/name:a\0b", 12));
  r = c.Post("/fail", "{}", "application/json");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 404);
  EXPECT_EQ(Json::parse(r->body)["error"]["message"], "no such thing");
  std::lock_guard lock(mutex_);
  EXPECT_EQ(observed_[0], (std::pair<std::string, int>{"/hello", 200}));
  EXPECT_EQ(observed_[1], (std::pair<std::string, int>{"/models/{name}/echo", 200}));
  EXPECT_EQ(observed_[2], (std::pair<std::string, int>{"/fail", 404}));
}

TEST_F(HttpServerTest, UnknownRouteIsAJson404) {
  Start();
  auto r = Client().Get("/nothing");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 404);
  EXPECT_NE(Json::parse(r->body)["error"].get<std::string>().find("/nothing"), std::string::npos);
  std::lock_guard lock(mutex_);
  EXPECT_EQ(observed_.at(0), (std::pair<std::string, int>{"unmatched", 404}));
}

TEST_F(HttpServerTest, BodyOverTheLimitIsAJson413) {
  HttpOptions options;
  options.max_body_bytes = 1000;
  Start(options);
  auto r = Client().Post("/models/m/echo", std::string(5000, 'x'), "application/octet-stream");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 413);
  EXPECT_NE(Json::parse(r->body)["error"].get<std::string>().find("1000 bytes"), std::string::npos);
  r = Client().Post("/models/m/echo", std::string(1000, 'x'), "application/octet-stream");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
}

TEST_F(HttpServerTest, ABurstOfNewConnectionsIsAllServed) {
  Start();
  std::vector<int> sockets;
  // Connected but not yet accepted: they wait in the listen backlog.
  for (int i = 0; i < 100; ++i) {
    const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(static_cast<uint16_t>(port_));
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ASSERT_EQ(::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)), 0);
    sockets.push_back(fd);
  }
  int answered = 0;
  for (int fd : sockets) {
    const std::string request = "GET /hello HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";
    timeval timeout{5, 0};
    ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof(timeout));
    if (::send(fd, request.data(), request.size(), MSG_NOSIGNAL) == static_cast<ssize_t>(request.size())) {
      char buffer[64] = {};
      if (::recv(fd, buffer, sizeof(buffer) - 1, 0) > 0 && std::string(buffer).rfind("HTTP/1.1 200", 0) == 0)
        ++answered;
    }
    ::close(fd);
  }
  EXPECT_EQ(answered, 100);
}

TEST_F(HttpServerTest, StopEndsListenAndFurtherConnectionsFail) {
  Start();
  ASSERT_TRUE(Client().Get("/hello"));
  server_->Stop();
  thread_.join();
  EXPECT_TRUE(listened_);
  auto c = Client();
  c.set_connection_timeout(1, 0);
  EXPECT_FALSE(c.Get("/hello"));
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
