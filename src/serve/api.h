// The handlers, one family per file: api_tei.cc (text-embeddings-inference style and the server's own
// /health, /info, /metrics), api_openai.cc (/v1/embeddings), api_kserve.cc (KServe v2 / Triton).
#pragma once

#include "serve/context.h"
#include "serve/http.h"

namespace vit::serve {

// api_tei.cc
Response TeiEmbed(ServeContext& context, const Request& request);
Response TeiPredict(ServeContext& context, const Request& request);
Response Health(ServeContext& context, const Request& request);
Response Ping(ServeContext& context, const Request& request);  // GET /ping: /health under TEI's name
Response Info(ServeContext& context, const Request& request);
Response MetricsPage(ServeContext& context, const Request& request);

// api_attention.cc
Response Attention(ServeContext& context, const Request& request);

// api_search.cc; path_params[0] of IndexedFile is the id.
Response Search(ServeContext& context, const Request& request);
Response IndexedFile(ServeContext& context, const Request& request);

// page.cc: the page at GET / (src/serve/page/index.html, built into the binary)
Response Page(ServeContext& context, const Request& request);

// api_openai.cc
Response OpenAIEmbeddings(ServeContext& context, const Request& request);
// GET /v1/models, and /v1/models/{model} with path_params[0] the model.
Response OpenAIModels(ServeContext& context, const Request& request);

// api_kserve.cc; path_params[0] is the model name, possibly followed by "/versions/<v>".
Response KServeLive(ServeContext& context, const Request& request);
Response KServeReady(ServeContext& context, const Request& request);
Response KServeServerMetadata(ServeContext& context, const Request& request);
Response KServeModelMetadata(ServeContext& context, const Request& request);
Response KServeModelReady(ServeContext& context, const Request& request);
Response KServeInfer(ServeContext& context, const Request& request);

}  // namespace vit::serve
