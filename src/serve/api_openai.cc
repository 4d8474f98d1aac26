// POST /v1/embeddings as OpenAI's API has it, for images:
//   {"input": "<data URL or base64>" | [...], "model": "...", "encoding_format": "float" | "base64"}
//   -> {"object": "list", "data": [{"object": "embedding", "index": i, "embedding": [...] | "<base64>"}],
//       "model": "...", "usage": {"prompt_tokens": n, "total_tokens": n}}
// Embeddings are the default pooling (vit/pooling.h: image_embeds for CLIP with a projection, else
// pooler_output), L2-normalised, as OpenAI's are unit vectors; the extension fields
// "pooling" and "normalize" work as in /embed. Usage counts tokens: images x sequence length.
// base64 is the little-endian float32 bytes, as OpenAI's clients decode it. "dimensions" keeps the first
// values before normalizing, as /embed does. A "model" other than the served one is refused (404,
// code "model_not_found"), as OpenAI refuses a model it does not have.
// GET /v1/models, /v1/models/{model}: the one served model, as OpenAI lists models.
#include <bit>
#include <nlohmann/json.hpp>

#include "serve/api.h"
#include "serve/api_common.h"
#include "serve/encoding.h"

namespace vit::serve {

static_assert(std::endian::native == std::endian::little, "base64 embeddings are little-endian float32");

namespace {

void CheckModel(const ServeContext& context, const std::string& model) {
  if (model != context.model().name)
    throw Error("The model `" + model.substr(0, 200) + "` does not exist; this server serves `" +
                    context.model().name + "`",
                ErrorKind::kNotFound);
}

Json ModelObject(const ServeContext& context) {
  return {{"id", context.model().name}, {"object", "model"}, {"created", context.started_unix_s}, {"owned_by", "vit"}};
}

}  // namespace

Response OpenAIModels(ServeContext& context, const Request& request) {
  if (!request.path_params.empty()) {
    CheckModel(context, request.path_params[0]);
    return Response::Json(ModelObject(context).dump(-1, ' ', false, Json::error_handler_t::replace));
  }
  const Json list = {{"object", "list"}, {"data", {ModelObject(context)}}};
  return Response::Json(list.dump(-1, ' ', false, Json::error_handler_t::replace));
}

Response OpenAIEmbeddings(ServeContext& context, const Request& request) {
  InFlight in_flight(context.metrics);
  const auto admission = context.inference.Admit();
  const auto deadline = context.inference.Deadline();
  const Json body = ParseJsonObject(request.body);
  EmbedOptions options;
  if (auto v = OptionalString(body, "pooling")) options.pooling = ParsePooling(*v);
  if (auto v = OptionalBool(body, "normalize")) options.normalize = *v;
  const std::string format = OptionalString(body, "encoding_format").value_or("float");
  if (format != "float" && format != "base64")
    throw Error("\"encoding_format\": expected \"float\" or \"base64\", got \"" + format.substr(0, 32) + "\"",
                ErrorKind::kInvalidArgument);
  const std::string model = OptionalString(body, "model").value_or(context.model().name);
  CheckModel(context, model);
  options.dimensions = DimensionsField(OptionalInt(body, "dimensions"), EmbeddingWidth(context.model(), options.pooling));
  std::vector<std::vector<uint8_t>> storage;
  const std::vector<EncodedImage> images = ImagesField(body, "input", storage);

  const std::vector<std::vector<float>> vectors = Embed(context, images, options, deadline);

  const ViTConfig& c = context.model().config;
  const int64_t tokens = static_cast<int64_t>(vectors.size()) * (c.num_patches() + 1);
  std::string out = R"({"object":"list","data":[)";
  for (size_t i = 0; i < vectors.size(); ++i) {
    if (i) out += ',';
    out += R"({"object":"embedding","index":)" + std::to_string(i) + R"(,"embedding":)";
    if (format == "float") {
      AppendJsonFloats(out, vectors[i]);
    } else {
      const auto* bytes = reinterpret_cast<const uint8_t*>(vectors[i].data());
      out += '"' + Base64Encode({bytes, vectors[i].size() * sizeof(float)}) + '"';
    }
    out += '}';
  }
  out += R"(],"model":)" + Json(model).dump(-1, ' ', false, Json::error_handler_t::replace);
  out += R"(,"usage":{"prompt_tokens":)" + std::to_string(tokens) + R"(,"total_tokens":)" +
         std::to_string(tokens) + "}}";
  return Response::Json(std::move(out));
}

}  // namespace vit::serve
