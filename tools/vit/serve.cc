// vit serve: an HTTP server for one model, with dynamic batching. See src/serve/ for the routes.
#include <CLI/CLI.hpp>
#include <memory>

#include "commands.h"
#include "help.h"
#include "model_args.h"
#include "serve/server.h"

namespace vit::tool {

void AddServeCommand(CLI::App& app, CommandRunner& run) {
  CLI::App* cmd = app.add_subcommand(
      "serve",
      "Serve a model over HTTP: POST /embed (text-embeddings-inference style), POST /v1/embeddings (OpenAI),\n"
      "POST /v2/models/{name}/infer (KServe v2 / Triton; also over gRPC with --grpc-port), POST /predict (labels), POST /attention (maps),\n"
      "POST /search (with --index), GET /health, /info, /metrics (Prometheus), and a page to try it at GET /.\n"
      "Requests from all clients are batched together. SIGTERM or SIGINT finishes the requests in flight\n"
      "and exits 0.");
  auto model = std::make_shared<ModelArgs>();
  auto options = std::make_shared<serve::ServeOptions>();
  model->AddTo(*cmd);
  // The environment variables are text-embeddings-inference's names for the same settings; a flag wins.
  cmd->get_option("--model")->envname("MODEL_ID");
  cmd->get_option("--revision")->envname("REVISION");
  cmd->add_option("--served-model-name", options->served_model_name,
                  "the model's name in the APIs (default: the hub id, or the folder's name)")
      ->envname("SERVED_MODEL_NAME");
  cmd->add_option("--host", options->host, "address to listen on")->capture_default_str()->envname("HOSTNAME");
  cmd->add_option("--port", options->port, "port to listen on (0: any free port)")
      ->capture_default_str()
      ->envname("PORT");
  cmd->add_option("--grpc-port", options->grpc_port,
                  "also serve KServe v2 over gRPC (inference.GRPCInferenceService) on this port (0: any free port; "
                  "default: off)");
  cmd->add_option("--max-batch-size", options->max_batch_size, "most images in one model run")
      ->capture_default_str()
      ->envname("MAX_BATCH_REQUESTS");
  cmd->add_option("--max-wait-ms", options->max_wait_ms,
                  "how long the first image of a batch waits for others")
      ->capture_default_str();
  cmd->add_option("--max-concurrent-requests", options->max_concurrent_requests,
                  "requests served at once; more get 429")
      ->capture_default_str()
      ->envname("MAX_CONCURRENT_REQUESTS");
  cmd->add_option("--max-body-mb", options->max_body_mb, "largest request body in MiB; larger get 413")
      ->capture_default_str();
  cmd->add_option("--max-client-batch-size", options->max_client_batch_size,
                  "most images in one request; more get 413")
      ->capture_default_str()
      ->envname("MAX_CLIENT_BATCH_SIZE");
  cmd->add_option("--request-timeout-ms", options->request_timeout_ms,
                  "longest a request may take once read; slower ones get 504")
      ->capture_default_str();
  cmd->add_option("--io-timeout-ms", options->io_timeout_ms,
                  "deadline for a whole request header (408 past it), and for a whole response")
      ->capture_default_str();
  cmd->add_option("--body-timeout-ms", options->body_timeout_ms, "deadline for a whole request body (408 past it)")
      ->capture_default_str();
  cmd->add_option("--keep-alive-timeout-ms", options->keep_alive_timeout_ms,
                  "an idle connection between requests is closed after this")
      ->capture_default_str();
  cmd->add_option("--max-connections", options->max_connections, "connections open at once; more get 503")
      ->capture_default_str();
  cmd->add_option("--max-body-memory-mb", options->max_body_memory_mb,
                  "request bodies in flight, all together, in MiB; more get 503")
      ->capture_default_str();
  cmd->add_option("--cors-allow-origin", options->cors_allow_origin,
                  "let browser pages from this origin (or * for any) call the API")
      ->envname("CORS_ALLOW_ORIGIN");
  cmd->add_option("--api-key", options->api_keys,
                  "require Authorization: Bearer KEY on every route but /health, /ping, /v2/health/* and the page "
                  "(repeatable)")
      ->envname("API_KEY");
  cmd->add_option("--api-key-file", options->api_key_file, "more API keys, one a line ('#' starts a comment)");
  cmd->add_flag("--json-logs", options->json_logs, "one JSON line per request on stderr")->envname("JSON_OUTPUT");
  cmd->add_option("--index", options->index,
                  "an embedding index folder (vit index build): POST /search, and nearest neighbours on the page");
  cmd->add_flag("--serve-indexed-files", options->serve_indexed_files,
                "let clients fetch the indexed image files (GET /indexed/{id}: thumbnails on the page)");
  cmd->footer(Examples({"vit serve -m google/vit-base-patch16-224-in21k --port 8080",
                        "curl -s localhost:8080/embed -H 'Content-Type: image/jpeg' --data-binary @cat.jpg",
                        "vit serve -m google/vit-base-patch16-224-in21k --api-key-file keys.txt --cors-allow-origin "
                        "https://app.example --json-logs",
                        "MODEL_ID=google/vit-base-patch16-224-in21k PORT=8080 API_KEY=secret vit serve",
                        "curl -s localhost:8080/embed -H 'Authorization: Bearer secret' -H 'Content-Encoding: gzip' "
                        "-H 'Content-Type: application/json' --data-binary @request.json.gz"},
                       "The routes, their fields and errors: src/serve/README.md."));
  cmd->callback([&run, model, options] {
    run = [model, options] {
      options->model = model->model;
      options->load = model->ToLoadOptions();
      return serve::Serve(*options);
    };
  });
}

}  // namespace vit::tool
