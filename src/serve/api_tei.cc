// POST /embed (also POST / and /invocations) as text-embeddings-inference has it, for images:
//   {"inputs": "<base64 or data URL>" | [...], "normalize": true, "pooling": "pooler" | "cls" | "mean",
//    "dimensions": d}
//   -> [[f32, ...], ...]   (one vector per input, also for a single input; the first d values when asked)
// A raw image body (RawImageBody: Content-Type image/*, or none and an image's signature) is one image;
// ?normalize=, ?pooling= and ?dimensions= then carry the options.
// POST /predict, text-embeddings-inference's classification route: {"inputs": img | [...], "top_k": k}
//   -> [[{"label", "id", "score" (softmax), "logit"}, ...], ...] by falling score, all labels by default.
#include <nlohmann/json.hpp>

#include <algorithm>
#include <cmath>
#include <numeric>

#include "serve/api.h"
#include "serve/api_common.h"
#include "serve/encoding.h"
#include "vit/options.h"

namespace vit::serve {
namespace {

Json ConfigJson(const ViTConfig& c) {
  Json j = {{"model_type", c.model_type},
            {"architectures", c.architectures},
            {"hidden_size", c.hidden_size},
            {"num_hidden_layers", c.num_hidden_layers},
            {"num_attention_heads", c.num_attention_heads},
            {"intermediate_size", c.intermediate_size},
            {"hidden_act", c.hidden_act},
            {"layer_norm_eps", c.layer_norm_eps},
            {"image_size", c.image_size},
            {"patch_size", c.patch_size},
            {"num_channels", c.num_channels},
            {"qkv_bias", c.qkv_bias},
            {"encoder_stride", c.encoder_stride},
            {"pooler_output_size", c.pooler_output_size ? c.pooler_output_size : c.hidden_size},
            {"pooler_act", c.pooler_act}};
  if (!c.id2label.empty()) {
    Json labels = Json::object();
    for (size_t i = 0; i < c.id2label.size(); ++i) labels[std::to_string(i)] = c.id2label[i];
    j["id2label"] = labels;
  }
  return j;
}

Json ProcessorJson(const ImageProcessorConfig& p) {
  Json j = {{"image_processor_type", p.image_processor_type},
            {"do_resize", p.do_resize},
            {"size", p.shortest_edge > 0 ? Json{{"shortest_edge", p.shortest_edge}}
                                         : Json{{"height", p.height}, {"width", p.width}}},
            {"resample", p.resample},
            {"do_rescale", p.do_rescale},
            {"rescale_factor", p.rescale_factor},
            {"do_normalize", p.do_normalize},
            {"image_mean", p.image_mean},
            {"image_std", p.image_std},
            {"do_convert_rgb", p.do_convert_rgb}};
  if (p.do_center_crop) {
    j["do_center_crop"] = true;
    j["crop_size"] = {{"height", p.crop_height}, {"width", p.crop_width}};
  }
  return j;
}

// As text-embeddings-inference names its dtypes.
const char* DtypeName(Precision precision) {
  switch (precision) {
    case Precision::kF32: return "float32";
    case Precision::kBF16: return "bfloat16";
    case Precision::kInt8: return "int8";
  }
  return "float32";
}

}  // namespace

Response TeiEmbed(ServeContext& context, const Request& request) {
  InFlight in_flight(context.metrics);
  const auto admission = context.inference.Admit();
  const auto deadline = context.inference.Deadline();
  EmbedOptions options;
  std::optional<int> dimensions;
  std::vector<std::vector<uint8_t>> storage;
  std::vector<EncodedImage> images;
  if (auto raw = RawImageBody(request)) {
    images.push_back(*raw);
    if (auto v = request.Query("pooling")) options.pooling = ParsePooling(*v);
    if (auto v = request.Query("normalize")) options.normalize = ParseBoolText(*v, "normalize");
    if (auto v = request.Query("dimensions")) dimensions = ParseIntText(*v, "dimensions");
  } else {
    const Json body = ParseJsonObject(request.body);
    if (auto v = OptionalString(body, "pooling")) options.pooling = ParsePooling(*v);
    if (auto v = OptionalBool(body, "normalize")) options.normalize = *v;
    dimensions = OptionalInt(body, "dimensions");
    images = ImagesField(body, "inputs", storage);
  }
  options.dimensions = DimensionsField(dimensions, EmbeddingWidth(context.model(), options.pooling));
  const std::vector<std::vector<float>> vectors = Embed(context, images, options, deadline);
  std::string out = "[";
  for (size_t i = 0; i < vectors.size(); ++i) {
    if (i) out += ',';
    AppendJsonFloats(out, vectors[i]);
  }
  out += ']';
  return Response::Json(std::move(out));
}

Response TeiPredict(ServeContext& context, const Request& request) {
  InFlight in_flight(context.metrics);
  const auto admission = context.inference.Admit();
  const auto deadline = context.inference.Deadline();
  const ServedModel& model = context.model();
  if (!model.info.has_classifier)
    throw Error("/predict needs a classifier, and this checkpoint has none (no classifier.* tensors)",
                ErrorKind::kUnsupported);
  int top_k = static_cast<int>(model.config.id2label.size());
  std::vector<std::vector<uint8_t>> storage;
  std::vector<EncodedImage> images;
  if (auto raw = RawImageBody(request)) {
    images.push_back(*raw);
    if (auto v = request.Query("top_k")) top_k = ParseIntText(*v, "top_k");
  } else {
    const Json body = ParseJsonObject(request.body);
    if (auto v = OptionalInt(body, "top_k")) top_k = *v;
    images = ImagesField(body, "inputs", storage);
  }
  if (top_k < 1) throw Error("\"top_k\": expected at least 1, got " + std::to_string(top_k), ErrorKind::kInvalidArgument);
  const std::vector<RowOutput> rows = context.inference.RunImages(images, deadline);
  Json out = Json::array();
  for (const RowOutput& row : rows) {
    // softmax in double, then the labels by falling score (ties by id)
    const std::span<const float> logits = row.logits.values();
    const double top = *std::max_element(logits.begin(), logits.end());
    std::vector<double> scores(logits.size());
    double sum = 0;
    for (size_t i = 0; i < logits.size(); ++i) sum += scores[i] = std::exp(logits[i] - top);
    std::vector<size_t> order(logits.size());
    std::iota(order.begin(), order.end(), size_t{0});
    const size_t keep = std::min(order.size(), static_cast<size_t>(top_k));
    std::partial_sort(order.begin(), order.begin() + static_cast<long>(keep), order.end(),
                      [&](size_t a, size_t b) { return scores[a] > scores[b] || (scores[a] == scores[b] && a < b); });
    Json labels = Json::array();
    for (size_t k = 0; k < keep; ++k) {
      const size_t id = order[k];
      const std::string label = id < model.config.id2label.size() ? model.config.id2label[id] : std::to_string(id);
      labels.push_back({{"label", label}, {"id", id}, {"score", scores[id] / sum}, {"logit", logits[id]}});
    }
    out.push_back(std::move(labels));
  }
  return Response::Json(out.dump(-1, ' ', false, Json::error_handler_t::replace));
}

Response Health(ServeContext& context, const Request&) {
  if (context.draining) return Response::Json(R"({"status":"draining"})", 503);
  return Response::Json(R"({"status":"ok"})");
}

Response Ping(ServeContext& context, const Request& request) { return Health(context, request); }

Response Info(ServeContext& context, const Request&) {
  const ServedModel& m = context.model();
  const ServeLimits& l = context.limits;
  const int64_t tokens = m.config.num_patches() + m.info.leading_tokens;
  Json model_type;
  if (m.info.has_classifier) {
    Json id2label = Json::object(), label2id = Json::object();
    for (size_t i = 0; i < m.config.id2label.size(); ++i) {
      id2label[std::to_string(i)] = m.config.id2label[i];
      label2id[m.config.id2label[i]] = i;
    }
    model_type = {{"classifier", {{"id2label", id2label}, {"label2id", label2id}}}};
  } else {
    model_type = {{"embedding", {{"pooling", PoolingName(DefaultPooling(m.info.has_pooler, m.info.has_image_embeds))}}}};
  }
  // text-embeddings-inference's fields first (its clients read them), in its units: an image is
  // num_patches + leading tokens; images are decoded on the requests' own threads.
  Json info = {{"model_id", m.name},
               {"model_sha", nullptr},
               {"model_dtype", DtypeName(m.info.precision)},
               {"model_type", model_type},
               {"max_concurrent_requests", l.max_concurrent_requests},
               {"max_input_length", tokens},
               {"max_batch_tokens", tokens * l.max_batch_size},
               {"max_batch_requests", l.max_batch_size},
               {"max_client_batch_size", l.max_client_batch_size},
               {"auto_truncate", false},
               {"tokenization_workers", l.max_concurrent_requests},
               {"version", "0.1.0"},
               {"sha", nullptr},
               {"docker_label", nullptr},
               {"model_source", m.info.source},
               {"model_dir", m.info.directory},
               {"weights_file", m.info.weights_file},
               {"num_parameters", m.info.num_parameters},
               {"family", m.info.family},
               {"has_pooler", m.info.has_pooler},
               {"has_image_embeds", m.info.has_image_embeds},
               {"has_classifier", m.info.has_classifier},
               {"precision", PrecisionName(m.info.precision)},
               {"config", ConfigJson(m.config)},
               {"preprocessor", ProcessorJson(m.processor.config())},
               {"limits",
                {{"max_batch_size", l.max_batch_size},
                 {"max_wait_ms", l.max_wait_ms},
                 {"max_concurrent_requests", l.max_concurrent_requests},
                 {"max_body_mb", l.max_body_mb},
                 {"max_client_batch_size", l.max_client_batch_size},
                 {"request_timeout_ms", l.request_timeout_ms}}}};
  if (context.index)
    info["index"] = {{"size", context.index->size()},
                     {"features", context.index->metadata().features},
                     {"model", context.index->metadata().model},
                     {"serve_files", context.serve_indexed_files}};
  else
    info["index"] = nullptr;
  return Response::Json(info.dump(-1, ' ', false, Json::error_handler_t::replace));
}

Response MetricsPage(ServeContext& context, const Request&) {
  Response r;
  r.content_type = "text/plain; version=0.0.4; charset=utf-8";
  r.body = context.metrics.Render();
  return r;
}

}  // namespace vit::serve
