// The route table, and nothing else. Canonical routes, plus the aliases other servers' clients call:
// text-embeddings-inference's POST / and /invocations for /embed and GET /ping for /health, and
// KServe's optional /versions/{v} segment, which api_kserve.cc checks and strips from the model name.
#include "serve/routes.h"

#include "serve/api.h"

namespace vit::serve {

void RegisterRoutes(HttpServer& http, ServeContext& context) {
  struct Entry {
    const char* method;
    const char* pattern;  // regex over the whole path
    const char* label;    // the route in metrics
    ErrorStyle style;
    Response (*handler)(ServeContext&, const Request&);
  };
  static constexpr Entry kRoutes[] = {
      // text-embeddings-inference style, and the server's own pages
      {"POST", "/embed", "/embed", ErrorStyle::kTei, TeiEmbed},
      {"POST", "/", "/", ErrorStyle::kTei, TeiEmbed},                      // TEI's alias of /embed
      {"POST", "/invocations", "/invocations", ErrorStyle::kTei, TeiEmbed},  // SageMaker's name for it
      {"POST", "/predict", "/predict", ErrorStyle::kTei, TeiPredict},
      {"POST", "/attention", "/attention", ErrorStyle::kTei, Attention},
      {"POST", "/search", "/search", ErrorStyle::kTei, Search},
      {"GET", "/indexed/([0-9]+)", "/indexed/{id}", ErrorStyle::kTei, IndexedFile},
      {"GET", "/", "/", ErrorStyle::kTei, Page},
      {"GET", "/health", "/health", ErrorStyle::kTei, Health},
      {"GET", "/ping", "/ping", ErrorStyle::kTei, Ping},
      {"GET", "/info", "/info", ErrorStyle::kTei, Info},
      {"GET", "/metrics", "/metrics", ErrorStyle::kTei, MetricsPage},
      // OpenAI
      {"POST", "/v1/embeddings", "/v1/embeddings", ErrorStyle::kOpenAI, OpenAIEmbeddings},
      {"GET", "/v1/models", "/v1/models", ErrorStyle::kOpenAI, OpenAIModels},
      {"GET", "/v1/models/(.+)", "/v1/models/{model}", ErrorStyle::kOpenAI, OpenAIModels},
      // KServe v2 / Triton; model names may hold '/', so the more specific patterns come first
      {"GET", "/v2/health/live", "/v2/health/live", ErrorStyle::kKServe, KServeLive},
      {"GET", "/v2/health/ready", "/v2/health/ready", ErrorStyle::kKServe, KServeReady},
      {"GET", "/v2", "/v2", ErrorStyle::kKServe, KServeServerMetadata},
      {"POST", "/v2/models/(.+)/infer", "/v2/models/{name}/infer", ErrorStyle::kKServe, KServeInfer},
      {"GET", "/v2/models/(.+)/ready", "/v2/models/{name}/ready", ErrorStyle::kKServe, KServeModelReady},
      {"GET", "/v2/models/(.+)", "/v2/models/{name}", ErrorStyle::kKServe, KServeModelMetadata},
  };
  for (const Entry& e : kRoutes) {
    auto* handler = e.handler;
    http.Route(e.method, e.pattern, e.label, e.style,
               [&context, handler](const Request& request) { return handler(context, request); });
  }
}

}  // namespace vit::serve
