// POST /attention: where the [CLS] token looks (vit::AttentionMaps), in the style of /embed:
//   {"inputs": img | [img...], "method": "rollout" | "last", "head_fusion": "mean" | "max" | "min",
//    "discard_ratio": 0.0, "layer": -1, "format": "json" | "png", "pictures": false, "alpha": 0.6}
//   json -> [{"grid_height": gh, "grid_width": gw, "map": [[f32, ...], ...]}, ...]  (one per input;
//           with "pictures": also "image" and "overlay", PNG data URLs of the image as the model saw it
//           and of the map over it)
//   png  -> the overlay of the one input as image/png
// A raw image body (RawImageBody) is one image; the query string then carries the options.
#include <nlohmann/json.hpp>

#include "serve/api.h"
#include "serve/api_common.h"
#include "serve/encoding.h"
#include "vit/attention_map.h"

namespace vit::serve {
namespace {

struct AttentionRequest {
  AttentionMapOptions map;
  bool png = false;
  bool pictures = false;
  double alpha = 0.6;
};

bool ParseFormat(const std::string& format) {
  if (format == "json") return false;
  if (format == "png") return true;
  throw Error("\"format\": expected json or png, got \"" + format.substr(0, 32) + "\"", ErrorKind::kInvalidArgument);
}

void CheckOptions(const AttentionRequest& r, int layers) {
  if (!(r.map.discard_ratio >= 0.0 && r.map.discard_ratio < 1.0))
    throw Error("\"discard_ratio\": expected a number in [0, 1), got " + std::to_string(r.map.discard_ratio),
                ErrorKind::kInvalidArgument);
  if (r.map.layer >= layers || r.map.layer < -layers)
    throw Error("\"layer\": the model has " + std::to_string(layers) + " layers (0.." + std::to_string(layers - 1) +
                    ", or negative from the end), got " + std::to_string(r.map.layer),
                ErrorKind::kInvalidArgument);
  if (!(r.alpha >= 0.0 && r.alpha <= 1.0))
    throw Error("\"alpha\": expected a number in [0, 1], got " + std::to_string(r.alpha), ErrorKind::kInvalidArgument);
}

std::string PngDataUrl(const Image& image) { return "data:image/png;base64," + Base64Encode(EncodePng(image)); }

}  // namespace

Response Attention(ServeContext& context, const Request& request) {
  InFlight in_flight(context.metrics);
  const auto admission = context.inference.Admit();
  const auto deadline = context.inference.Deadline();
  AttentionRequest options;
  std::vector<std::vector<uint8_t>> storage;
  std::vector<EncodedImage> images;
  if (auto raw = RawImageBody(request)) {
    images.push_back(*raw);
    if (auto v = request.Query("method")) options.map.method = ParseAttentionMethod(*v);
    if (auto v = request.Query("head_fusion")) options.map.head_fusion = ParseHeadFusion(*v);
    if (auto v = request.Query("discard_ratio")) options.map.discard_ratio = ParseNumberText(*v, "discard_ratio");
    if (auto v = request.Query("layer")) options.map.layer = ParseIntText(*v, "layer");
    if (auto v = request.Query("alpha")) options.alpha = ParseNumberText(*v, "alpha");
    if (auto v = request.Query("format")) options.png = ParseFormat(*v);
    if (auto v = request.Query("pictures")) options.pictures = ParseBoolText(*v, "pictures");
  } else {
    const Json body = ParseJsonObject(request.body);
    if (auto v = OptionalString(body, "method")) options.map.method = ParseAttentionMethod(*v);
    if (auto v = OptionalString(body, "head_fusion")) options.map.head_fusion = ParseHeadFusion(*v);
    if (auto v = OptionalNumber(body, "discard_ratio")) options.map.discard_ratio = *v;
    if (auto v = OptionalInt(body, "layer")) options.map.layer = *v;
    if (auto v = OptionalNumber(body, "alpha")) options.alpha = *v;
    if (auto v = OptionalString(body, "format")) options.png = ParseFormat(*v);
    if (auto v = OptionalBool(body, "pictures")) options.pictures = *v;
    images = ImagesField(body, "inputs", storage);
  }
  const ServedModel& model = context.model();
  CheckOptions(options, static_cast<int>(model.config.num_hidden_layers));
  if (options.png && images.size() != 1)
    throw Error("\"format\": png answers one image; the request has " + std::to_string(images.size()),
                ErrorKind::kInvalidArgument);

  std::vector<Tensor> pixel_values;
  const std::vector<RowOutput> rows = context.inference.RunImages(images, deadline, true, &pixel_values);
  std::string out = "[";
  for (size_t i = 0; i < rows.size(); ++i) {
    const PatchGridSize grid = PatchGrid(model.config, pixel_values[i]);
    const Tensor map = AttentionMaps(rows[i].attentions, grid, options.map);
    if (options.png) {
      Response r;
      r.content_type = "image/png";
      const std::vector<uint8_t> png =
          EncodePng(AttentionOverlay(pixel_values[i], map, model.processor.config(), options.alpha));
      r.body.assign(png.begin(), png.end());
      return r;
    }
    if (i) out += ',';
    out += "{\"grid_height\":" + std::to_string(grid.height) + ",\"grid_width\":" + std::to_string(grid.width) +
           ",\"map\":[";
    for (int64_t y = 0; y < grid.height; ++y) {
      if (y) out += ',';
      AppendJsonFloats(out, std::span<const float>(map.data() + y * grid.width, static_cast<size_t>(grid.width)));
    }
    out += ']';
    if (options.pictures) {
      out += ",\"image\":\"" + PngDataUrl(ImageFromPixelValues(pixel_values[i], model.processor.config())) + "\"";
      out += ",\"overlay\":\"" +
             PngDataUrl(AttentionOverlay(pixel_values[i], map, model.processor.config(), options.alpha)) + "\"";
    }
    out += '}';
  }
  out += ']';
  return Response::Json(std::move(out));
}

}  // namespace vit::serve
