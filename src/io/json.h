// Strict JSON for untrusted text (config files, headers, request bodies): syntax errors, duplicate keys
// (which nlohmann would silently collapse), absurd nesting and oversized text all become vit::Error
// naming the source. The tree is built by our own SAX handler so that no step costs more than
// O(log n) per member whatever the structure: nlohmann's ordered_json finds each new key by a linear
// scan, which makes an object of n keys cost n^2 / 2 comparisons.
#pragma once

#include <cstddef>
#include <filesystem>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

namespace vit::io {

using Json = nlohmann::ordered_json;  // keeps key order, for files we rewrite
using SortedJson = nlohmann::json;    // keys sorted, for request bodies

struct JsonLimits {
  int max_depth = 64;                        // objects and arrays nested deeper are refused
  size_t max_bytes = size_t{64} << 20;       // longer text is refused before parsing
};

// `where` names the source in error messages (a file, or "header of x.safetensors").
Json ParseJson(std::string_view text, const std::string& where, const JsonLimits& limits = {});
SortedJson ParseSortedJson(std::string_view text, const std::string& where, const JsonLimits& limits = {});
// The same checks without building anything, for callers that build their own tree afterwards.
void CheckJson(std::string_view text, const std::string& where, const JsonLimits& limits = {});

// Regular files only (a FIFO or /dev/zero would never end), size checked against the limit before
// a byte is read.
Json ReadJsonFile(const std::filesystem::path& path, const JsonLimits& limits = {});

// "object", "array", "string", ... for messages that say what was found instead.
std::string JsonTypeName(const Json& value);

}  // namespace vit::io
