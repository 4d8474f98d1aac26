#include "serve/api_common.h"

#include <algorithm>
#include <climits>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <string>

#include "serve/encoding.h"
#include "vit/error.h"
#include "vit/json.h"

namespace vit::serve {

Json ParseJsonObject(std::string_view body) {
  Json json;
  try {
    // The library's strict rules first (duplicate keys, depth); the HTTP layer has bounded the size.
    CheckJson(body, "request body: malformed JSON", /*max_depth=*/64, /*max_bytes=*/body.size());
    json = Json::parse(body);
  } catch (const Error& e) {
    throw Error(e.what(), ErrorKind::kInvalidArgument);
  }
  if (!json.is_object())
    throw Error(std::string("request body: expected a JSON object, got ") + json.type_name(),
                ErrorKind::kInvalidArgument);
  return json;
}

std::optional<bool> OptionalBool(const Json& object, const char* field) {
  auto it = object.find(field);
  if (it == object.end() || it->is_null()) return std::nullopt;
  if (!it->is_boolean())
    throw Error(std::string("\"") + field + "\": expected true or false, got " + it->type_name(),
                ErrorKind::kInvalidArgument);
  return it->get<bool>();
}

std::optional<std::string> OptionalString(const Json& object, const char* field) {
  auto it = object.find(field);
  if (it == object.end() || it->is_null()) return std::nullopt;
  if (!it->is_string())
    throw Error(std::string("\"") + field + "\": expected a string, got " + it->type_name(),
                ErrorKind::kInvalidArgument);
  return it->get<std::string>();
}

std::optional<double> OptionalNumber(const Json& object, const char* field) {
  auto it = object.find(field);
  if (it == object.end() || it->is_null()) return std::nullopt;
  if (!it->is_number())
    throw Error(std::string("\"") + field + "\": expected a number, got " + it->type_name(),
                ErrorKind::kInvalidArgument);
  return it->get<double>();
}

std::optional<int> OptionalInt(const Json& object, const char* field) {
  auto it = object.find(field);
  if (it == object.end() || it->is_null()) return std::nullopt;
  if (!it->is_number_integer() || it->get<int64_t>() < INT32_MIN || it->get<int64_t>() > INT32_MAX)
    throw Error(std::string("\"") + field + "\": expected an integer, got " + it->dump().substr(0, 32),
                ErrorKind::kInvalidArgument);
  return static_cast<int>(it->get<int64_t>());
}

std::vector<EncodedImage> ImagesField(const Json& object, const char* field,
                                      std::vector<std::vector<uint8_t>>& storage) {
  auto it = object.find(field);
  if (it == object.end() || it->is_null())
    throw Error(std::string("request body: missing \"") + field + "\" (an image as base64 or a data: URL, or a list)",
                ErrorKind::kInvalidArgument);
  std::vector<std::string> names;
  std::vector<const std::string*> texts;
  if (it->is_string()) {
    names.push_back(field);
    texts.push_back(&it->get_ref<const std::string&>());
  } else if (it->is_array()) {
    if (it->empty())
      throw Error(std::string("\"") + field + "\": the list is empty", ErrorKind::kInvalidArgument);
    for (size_t i = 0; i < it->size(); ++i) {
      const Json& item = (*it)[i];
      const std::string name = std::string(field) + "[" + std::to_string(i) + "]";
      if (!item.is_string())
        throw Error("\"" + name + "\": expected an image as a base64 string or a data: URL, got " +
                        item.type_name(),
                    ErrorKind::kInvalidArgument);
      names.push_back(name);
      texts.push_back(&item.get_ref<const std::string&>());
    }
  } else {
    throw Error(std::string("\"") + field + "\": expected an image string or a list of them, got " + it->type_name(),
                ErrorKind::kInvalidArgument);
  }
  storage.clear();
  storage.reserve(texts.size());
  std::vector<EncodedImage> images;
  for (size_t i = 0; i < texts.size(); ++i) {
    storage.push_back(DecodeImageString(*texts[i], names[i]));
    images.push_back({storage.back(), names[i]});
  }
  return images;
}

bool IsImageContentType(const std::string& content_type) {
  return content_type.rfind("image/", 0) == 0 || content_type.rfind("application/octet-stream", 0) == 0;
}

bool LooksLikeImage(std::span<const uint8_t> bytes) {
  auto starts = [&](std::string_view magic, size_t at = 0) {
    return bytes.size() >= at + magic.size() && std::memcmp(bytes.data() + at, magic.data(), magic.size()) == 0;
  };
  using namespace std::string_view_literals;
  return starts("\xFF\xD8\xFF"sv) || starts("\x89PNG\r\n\x1A\n"sv) || starts("GIF87a"sv) || starts("GIF89a"sv) ||
         (starts("RIFF"sv) && starts("WEBP"sv, 8)) || starts("BM"sv) || starts("II*\0"sv) || starts("MM\0*"sv) ||
         starts("\0\0\1\0"sv) || starts("\xFF\x4F\xFF\x51"sv) || starts("\0\0\0\x0CjP  \r\n\x87\n"sv) ||
         starts("ftyp"sv, 4);
}

std::optional<EncodedImage> RawImageBody(const Request& request) {
  const std::string content_type = request.Header("content-type");
  const auto bytes = std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(request.body.data()), request.body.size());
  if (!IsImageContentType(content_type) && !(content_type.empty() && LooksLikeImage(bytes))) return std::nullopt;
  if (bytes.empty()) throw Error("request body: empty image", ErrorKind::kInvalidArgument);
  return EncodedImage{bytes, "body"};
}

std::optional<int> DimensionsField(std::optional<int> value, int64_t width) {
  if (!value) return std::nullopt;
  if (*value < 1 || *value > width)
    throw Error("\"dimensions\": expected 1 to " + std::to_string(width) + " (the embedding's width), got " +
                    std::to_string(*value),
                ErrorKind::kInvalidArgument);
  return value;
}

int64_t EmbeddingWidth(const ServedModel& model, std::optional<Pooling> pooling) {
  return PooledWidth(model.config, pooling.value_or(DefaultPooling(model.info.has_pooler, model.info.has_image_embeds)));
}

bool ParseBoolText(const std::string& text, const char* field) {
  if (text == "true" || text == "1") return true;
  if (text == "false" || text == "0") return false;
  throw Error(std::string("\"") + field + "\": expected true or false, got \"" + text.substr(0, 32) + "\"",
              ErrorKind::kInvalidArgument);
}

double ParseNumberText(const std::string& text, const char* field) {
  size_t used = 0;
  double value = 0;
  try {
    value = std::stod(text, &used);
  } catch (const std::exception&) {
    used = 0;
  }
  if (text.empty() || used != text.size() || !std::isfinite(value))
    throw Error(std::string("\"") + field + "\": expected a number, got \"" + text.substr(0, 32) + "\"",
                ErrorKind::kInvalidArgument);
  return value;
}

int ParseIntText(const std::string& text, const char* field) {
  const double value = ParseNumberText(text, field);
  if (value != std::floor(value) || value < INT32_MIN || value > INT32_MAX)
    throw Error(std::string("\"") + field + "\": expected an integer, got \"" + text.substr(0, 32) + "\"",
                ErrorKind::kInvalidArgument);
  return static_cast<int>(value);
}

std::vector<std::vector<float>> Embed(ServeContext& context, std::span<const EncodedImage> images,
                                      const EmbedOptions& options, Inference::Clock::time_point deadline) {
  const ModelInfo& info = context.model().info;
  const Pooling pooling = options.pooling.value_or(DefaultPooling(info.has_pooler, info.has_image_embeds));
  // Refuse before any work when the answer can only be an error.
  ModelOutput row_output;
  row_output.leading_tokens = info.leading_tokens;
  if ((pooling == Pooling::kPooler && !info.has_pooler) || (pooling == Pooling::kCls && info.leading_tokens < 1) ||
      (pooling == Pooling::kImageEmbeds && !info.has_image_embeds))
    Pool(row_output, pooling);
  const std::vector<RowOutput> rows = context.inference.RunImages(images, deadline);
  std::vector<std::vector<float>> vectors;
  vectors.reserve(rows.size());
  for (const RowOutput& row : rows) {
    row_output.last_hidden_state = row.last_hidden_state;
    row_output.pooler_output = row.pooler_output;
    row_output.image_embeds = row.image_embeds;
    const Tensor v = Pool(row_output, pooling);
    const int64_t keep = options.dimensions ? std::min<int64_t>(*options.dimensions, v.numel()) : v.numel();
    vectors.emplace_back(v.data(), v.data() + keep);
    if (options.normalize) L2Normalize(vectors.back());
  }
  return vectors;
}

}  // namespace vit::serve
