// Request pieces shared by the JSON APIs: parsing the body, reading typed fields with errors that name
// them, images given as strings, and the embed pipeline (pool, normalize, as vit/pooling.h defines them).
#pragma once

#include <nlohmann/json.hpp>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "serve/context.h"
#include "serve/http.h"
#include "vit/pooling.h"

namespace vit::serve {

using Json = nlohmann::json;

// The body as a JSON object; vit::Error(kInvalidArgument) naming the parse error otherwise.
Json ParseJsonObject(std::string_view body);
std::optional<bool> OptionalBool(const Json& object, const char* field);
std::optional<std::string> OptionalString(const Json& object, const char* field);
std::optional<double> OptionalNumber(const Json& object, const char* field);
std::optional<int> OptionalInt(const Json& object, const char* field);

// A field holding one image string or a non-empty list of them; decoded into `storage`, named
// "field" or "field[i]" in errors.
std::vector<EncodedImage> ImagesField(const Json& object, const char* field,
                                      std::vector<std::vector<uint8_t>>& storage);

bool IsImageContentType(const std::string& content_type);
// Whether the bytes start as an encoded image does (JPEG, PNG, GIF, WebP, BMP, TIFF, ICO, JPEG 2000,
// HEIF/AVIF): the signatures, nothing more.
bool LooksLikeImage(std::span<const uint8_t> bytes);
// A request whose body is one raw image: Content-Type image/* or application/octet-stream, or no
// Content-Type and a body that starts as an image does (curl --data-binary without -H). The options
// then come in the query string. std::nullopt for a JSON body; vit::Error for an empty image.
std::optional<EncodedImage> RawImageBody(const Request& request);

struct EmbedOptions {
  std::optional<Pooling> pooling;  // unset: DefaultPooling (pooler when the checkpoint has one, else cls)
  bool normalize = true;
  // Keep the first `dimensions` values (Matryoshka-style truncation, as text-embeddings-inference
  // does), before normalizing; unset keeps them all.
  std::optional<int> dimensions;
};
// Reads "dimensions" (absent or null: all of them); the error names the field and the width.
std::optional<int> DimensionsField(std::optional<int> value, int64_t width);
// The width of the vectors Embed returns with `pooling` (unset: the default).
int64_t EmbeddingWidth(const ServedModel& model, std::optional<Pooling> pooling);
// One vector per image, in order.
std::vector<std::vector<float>> Embed(ServeContext& context, std::span<const EncodedImage> images,
                                      const EmbedOptions& options, Inference::Clock::time_point deadline);

// "true"/"false"/"1"/"0" as query strings spell booleans.
bool ParseBoolText(const std::string& text, const char* field);
// A whole query-string number; the error names `field`.
double ParseNumberText(const std::string& text, const char* field);
int ParseIntText(const std::string& text, const char* field);

}  // namespace vit::serve
