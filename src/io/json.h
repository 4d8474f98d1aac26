// Strict JSON for untrusted files: syntax errors, duplicate keys (which nlohmann would silently
// collapse) and absurd nesting all become vit::Error naming the file. Key order is kept.
#pragma once

#include <filesystem>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

namespace vit::io {

using Json = nlohmann::ordered_json;

// `where` names the source in error messages (a file, or "header of x.safetensors").
Json ParseJson(std::string_view text, const std::string& where, int max_depth = 64);
Json ReadJsonFile(const std::filesystem::path& path, int max_depth = 64);

// "object", "array", "string", ... for messages that say what was found instead.
std::string JsonTypeName(const Json& value);

}  // namespace vit::io
