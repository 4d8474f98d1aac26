// Request pieces shared by the JSON APIs: parsing the body, reading typed fields with errors that name
// them, images given as strings, and the embed pipeline (pool, normalize, as vit/pooling.h defines them).
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
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

struct EmbedOptions {
  std::optional<Pooling> pooling;  // unset: DefaultPooling (pooler when the checkpoint has one, else cls)
  bool normalize = true;
};
// One vector per image, in order.
std::vector<std::vector<float>> Embed(ServeContext& context, std::span<const EncodedImage> images,
                                      const EmbedOptions& options, Inference::Clock::time_point deadline);

// "true"/"false"/"1"/"0" as query strings spell booleans.
bool ParseBoolText(const std::string& text, const char* field);
// A whole query-string number; the error names `field`.
double ParseNumberText(const std::string& text, const char* field);
int ParseIntText(const std::string& text, const char* field);

}  // namespace vit::serve
