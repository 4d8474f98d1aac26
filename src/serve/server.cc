#include "serve/server.h"

#include <optional>

#include <fcntl.h>
#include <malloc.h>
#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <algorithm>
#include <cctype>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <thread>

#include "serve/batcher.h"
#include "serve/context.h"
#include "serve/grpc_server.h"
#include "serve/http.h"
#include "serve/inference.h"
#include "serve/metrics.h"
#include "serve/routes.h"
#include "vit/error.h"
#include "vit/model.h"

namespace vit::serve {
namespace {

class ModelRunner : public BatchRunner {
 public:
  explicit ModelRunner(Model& model) : model_(model) {}
  ModelOutput Run(const Tensor& pixel_values) override { return model_.Run(pixel_values); }
  ModelOutput RunWithAttentions(const Tensor& pixel_values) override {
    RunOptions options;
    options.output_attentions = true;
    return model_.Run(pixel_values, options);
  }

 private:
  Model& model_;
};

std::string DefaultServedName(const std::string& model) {
  std::string name = model;
  while (name.size() > 1 && name.back() == '/') name.pop_back();
  std::error_code ec;
  if (std::filesystem::is_directory(name, ec)) return std::filesystem::path(name).filename().string();
  return name.substr(0, name.find('@'));  // a hub id: org/name[@revision]
}

// SIGINT and SIGTERM go through a pipe to one thread, which is free to lock and call anything: the
// handler only write()s, which is async-signal-safe, and works whichever thread the kernel picked
// (OpenMP's and the libraries' threads may exist before the server starts, so masks cannot be relied
// on). The first signal drains; a second one exits at once.
int g_signal_pipe[2] = {-1, -1};

extern "C" void ForwardSignal(int sig) {
  const int saved = errno;
  const unsigned char byte = static_cast<unsigned char>(sig);
  if (write(g_signal_pipe[1], &byte, 1) != 1) {
    // EAGAIN: the pipe is full of signals not read yet, and one more would change nothing.
  }
  errno = saved;
}

class SignalWatcher {
 public:
  SignalWatcher() {
    if (pipe2(g_signal_pipe, O_CLOEXEC) != 0) throw Error("cannot create the signal pipe", ErrorKind::kIo);
    fcntl(g_signal_pipe[1], F_SETFL, O_NONBLOCK);  // the handler must never block
    struct sigaction action = {};
    action.sa_handler = ForwardSignal;
    sigemptyset(&action.sa_mask);
    action.sa_flags = SA_RESTART;
    sigaction(SIGINT, &action, &previous_int_);
    sigaction(SIGTERM, &action, &previous_term_);
    thread_ = std::thread([this] { Watch(); });
  }
  ~SignalWatcher() {
    const unsigned char stop = 0;
    while (write(g_signal_pipe[1], &stop, 1) < 0 && errno == EINTR) {
    }
    thread_.join();
    sigaction(SIGINT, &previous_int_, nullptr);
    sigaction(SIGTERM, &previous_term_, nullptr);
    close(g_signal_pipe[0]);
    close(g_signal_pipe[1]);
    g_signal_pipe[0] = g_signal_pipe[1] = -1;
  }
  SignalWatcher(const SignalWatcher&) = delete;
  SignalWatcher& operator=(const SignalWatcher&) = delete;

  // What the first signal does; before it is set, a signal ends the process (nothing to drain yet).
  void OnSignal(std::function<void()> action) {
    std::lock_guard lock(mutex_);
    action_ = std::move(action);
  }

 private:
  void Watch() {
    int signals = 0;
    for (;;) {
      unsigned char sig = 0;
      const ssize_t n = read(g_signal_pipe[0], &sig, 1);
      if (n < 0 && errno == EINTR) continue;
      if (n != 1 || sig == 0) return;
      // Under the lock, so that OnSignal() returns only once a running action is done.
      std::lock_guard lock(mutex_);
      if (!action_ || ++signals > 1) {
        std::fprintf(stderr, "vit serve: %s, exiting now\n", signals > 1 ? "second signal" : "interrupted");
        std::_Exit(128 + sig);
      }
      std::fprintf(stderr, "vit serve: %s received, finishing the requests in flight\n",
                   sig == SIGINT ? "SIGINT" : "SIGTERM");
      action_();
    }
  }

  struct sigaction previous_int_ = {};
  struct sigaction previous_term_ = {};
  std::mutex mutex_;
  std::function<void()> action_;
  std::thread thread_;
};

// Hundreds of connection threads allocate and free request bodies and tensors of up to --max-body-mb.
// With glibc's defaults (an arena per thread up to 8 per core, a mmap threshold that rises after each
// large free) the freed memory stays in the arenas and the resident size creeps up while the heap in
// use stays flat (bench/serve/soak.py shows both). A fixed threshold returns large buffers to the
// system at once, and fewer arenas fragment less. The environment's MALLOC_* settings win.
void TuneAllocator() {
#if defined(__GLIBC__)
  if (!std::getenv("MALLOC_MMAP_THRESHOLD_")) mallopt(M_MMAP_THRESHOLD, 256 * 1024);
  if (!std::getenv("MALLOC_ARENA_MAX")) mallopt(M_ARENA_MAX, 4);
#endif
}

}  // namespace

void ServeOptions::Validate() const {
  auto at_least = [](int value, int minimum, const char* flag) {
    if (value < minimum)
      throw Error(std::string(flag) + ": expected at least " + std::to_string(minimum) + ", got " +
                      std::to_string(value),
                  ErrorKind::kInvalidArgument);
  };
  at_least(port, 0, "--port");
  if (port > 65535) throw Error("--port: expected at most 65535", ErrorKind::kInvalidArgument);
  at_least(grpc_port, -1, "--grpc-port");
  if (grpc_port > 65535) throw Error("--grpc-port: expected at most 65535", ErrorKind::kInvalidArgument);
  at_least(max_batch_size, 1, "--max-batch-size");
  at_least(max_wait_ms, 0, "--max-wait-ms");
  at_least(max_concurrent_requests, 1, "--max-concurrent-requests");
  at_least(max_body_mb, 1, "--max-body-mb");
  if (max_body_mb > 4096) throw Error("--max-body-mb: expected at most 4096", ErrorKind::kInvalidArgument);
  at_least(max_client_batch_size, 1, "--max-client-batch-size");
  at_least(request_timeout_ms, 1, "--request-timeout-ms");
  at_least(io_timeout_ms, 1, "--io-timeout-ms");
  at_least(body_timeout_ms, 1, "--body-timeout-ms");
  at_least(keep_alive_timeout_ms, 1, "--keep-alive-timeout-ms");
  at_least(max_connections, 1, "--max-connections");
  at_least(max_body_memory_mb, max_body_mb, "--max-body-memory-mb (at least --max-body-mb)");
  if (!cors_allow_origin.empty() && cors_allow_origin != "*" && cors_allow_origin.find("://") == std::string::npos)
    throw Error("--cors-allow-origin: expected * or an origin such as https://example.com, got " + cors_allow_origin,
                ErrorKind::kInvalidArgument);
  for (const auto& key : api_keys)
    if (key.empty() || key.find_first_of(" \t\r\n") != std::string::npos)
      throw Error("--api-key: a key must be non-empty and without spaces", ErrorKind::kInvalidArgument);
  if (serve_indexed_files && index.empty())
    throw Error("--serve-indexed-files needs --index", ErrorKind::kInvalidArgument);
}

// --api-key-file: one key a line; blank lines and lines starting with '#' are skipped.
std::vector<std::string> ReadApiKeys(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw Error("--api-key-file: cannot read " + path, ErrorKind::kInvalidArgument);
  std::vector<std::string> keys;
  std::string line;
  while (std::getline(in, line)) {
    while (!line.empty() && std::isspace(static_cast<unsigned char>(line.back()))) line.pop_back();
    size_t start = 0;
    while (start < line.size() && std::isspace(static_cast<unsigned char>(line[start]))) ++start;
    line.erase(0, start);
    if (line.empty() || line[0] == '#') continue;
    if (line.find_first_of(" \t") != std::string::npos)
      throw Error("--api-key-file " + path + ": a key must not contain spaces", ErrorKind::kInvalidArgument);
    keys.push_back(line);
  }
  if (keys.empty()) throw Error("--api-key-file " + path + ": no keys in the file", ErrorKind::kInvalidArgument);
  return keys;
}

int Serve(const ServeOptions& options) {
  options.Validate();
  std::vector<std::string> api_keys = options.api_keys;
  if (!options.api_key_file.empty())
    for (auto& key : ReadApiKeys(options.api_key_file)) api_keys.push_back(std::move(key));
  TuneAllocator();
  SignalWatcher signals;

  std::fprintf(stderr, "vit serve: loading %s\n", options.model.c_str());
  std::unique_ptr<Model> model = Model::Load(options.model, options.load);
  if (!model->info().packed_cache.empty())
    std::fprintf(stderr, "vit serve: packed-weights cache %s\n", model->info().packed_cache.c_str());
  ServedModel served{options.served_model_name.empty() ? DefaultServedName(options.model) : options.served_model_name,
                     model->config(), model->processor(), model->info()};

  Metrics metrics;
  ModelRunner runner(*model);
  BatcherOptions batcher_options;
  batcher_options.max_batch_size = options.max_batch_size;
  batcher_options.max_wait = std::chrono::milliseconds(options.max_wait_ms);
  // Every admitted request may queue a full client batch.
  batcher_options.max_queued_images =
      static_cast<size_t>(options.max_concurrent_requests) * static_cast<size_t>(options.max_client_batch_size);
  Batcher batcher(runner, batcher_options,
                  [&metrics](int size, double seconds) { metrics.ObserveBatch(size, seconds); });
  metrics.SetQueueDepthSource([&batcher] { return batcher.queue_depth(); });

  InferenceLimits limits;
  limits.request_timeout = std::chrono::milliseconds(options.request_timeout_ms);
  limits.max_concurrent_requests = options.max_concurrent_requests;
  limits.max_client_batch_size = options.max_client_batch_size;
  Inference inference(served, batcher, limits);

  ServeContext context{inference, metrics,
                       ServeLimits{options.max_batch_size, options.max_wait_ms, options.max_concurrent_requests,
                                   options.max_body_mb, options.max_client_batch_size, options.request_timeout_ms}};
  std::optional<EmbeddingIndex> index;
  if (!options.index.empty()) {
    index.emplace(EmbeddingIndex::Load(options.index));
    if (index->metadata().model != options.model)
      std::fprintf(stderr, "vit serve: note: the index was built with --model %s, this server runs %s\n",
                   index->metadata().model.c_str(), options.model.c_str());
    std::fprintf(stderr, "vit serve: index %s: %lld vectors of %s features\n", options.index.c_str(),
                 static_cast<long long>(index->size()), index->metadata().features.c_str());
    context.index = &*index;
    context.serve_indexed_files = options.serve_indexed_files;
  }

  HttpOptions http_options;
  http_options.max_body_bytes = static_cast<size_t>(options.max_body_mb) << 20;
  http_options.max_body_memory_bytes = static_cast<size_t>(options.max_body_memory_mb) << 20;
  // Handlers decode on their own thread and then wait for the batcher: enough of them to keep a batch
  // forming while the previous one runs, and the cores busy decoding; requests read meanwhile queue
  // (up to --max-concurrent-requests) for a worker without holding a thread.
  const int cores = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  http_options.worker_threads = std::clamp(4 * options.max_batch_size + cores, 8, 256);
  http_options.max_queued_requests = std::max(64, options.max_concurrent_requests);
  http_options.max_connections = options.max_connections;
  http_options.header_timeout = std::chrono::milliseconds(options.io_timeout_ms);
  http_options.body_timeout = std::chrono::milliseconds(options.body_timeout_ms);
  http_options.write_timeout = std::chrono::milliseconds(options.io_timeout_ms);
  http_options.keep_alive_timeout = std::chrono::milliseconds(options.keep_alive_timeout_ms);
  http_options.request_timeout = std::chrono::milliseconds(options.request_timeout_ms);
  http_options.cors_allow_origin = options.cors_allow_origin;
  http_options.api_keys = api_keys;
  // Probes (liveness, readiness) and the page itself answer without a key: orchestrators and browsers
  // cannot send one. The page's own calls to the API then need a key like any client's.
  http_options.open_routes = {"/health", "/ping", "/v2/health/live", "/v2/health/ready", "/"};
  http_options.json_logs = options.json_logs;
  const bool json_logs = options.json_logs;
  HttpServer http(http_options, [&metrics, json_logs](const std::string& route, int status, double seconds) {
    metrics.ObserveRequest(route, status, seconds);
    if (status >= 500 && !json_logs) std::fprintf(stderr, "vit serve: %s answered %d\n", route.c_str(), status);
  });
  RegisterRoutes(http, context);
  const int port = http.Bind(options.host, options.port);
  std::unique_ptr<GrpcServer> grpc;
  if (options.grpc_port >= 0) {
    GrpcOptions grpc_options;
    grpc_options.host = options.host;
    grpc_options.port = options.grpc_port;
    grpc_options.max_message_bytes = static_cast<size_t>(options.max_body_mb) << 20;
    // Enough for every admitted request, plus a few so that requests over the limit still get their
    // RESOURCE_EXHAUSTED and health checks still answer.
    grpc_options.max_threads = options.max_concurrent_requests + 8;
    grpc = std::make_unique<GrpcServer>(context, grpc_options);
    std::fprintf(stderr, "vit serve: gRPC (KServe v2) listening on %s:%d\n", options.host.c_str(), grpc->port());
  }

  signals.OnSignal([&] {
    context.draining = true;
    http.Stop();
    // RPCs in flight get as long as a request may take; new ones are refused at once.
    if (grpc) grpc->Shutdown(std::chrono::milliseconds(options.request_timeout_ms));
  });
  std::fprintf(stderr, "vit serve: %s (%s, %s) listening on http://%s:%d\n", served.name.c_str(),
               served.info.directory.c_str(), PrecisionName(served.info.precision), options.host.c_str(), port);
  std::fflush(stderr);
  const bool stopped = http.Listen();  // returns when every connection being served has been answered
  signals.OnSignal([] {});              // `http` and `context` are about to go
  grpc.reset();                         // after the RPCs in flight are answered
  batcher.Stop();
  if (!stopped) {
    std::fprintf(stderr, "vit serve: the listening socket failed\n");
    return 1;
  }
  std::fprintf(stderr, "vit serve: stopped\n");
  return 0;
}

}  // namespace vit::serve
