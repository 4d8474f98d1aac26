// The library's strict JSON rules, for callers that parse text from outside themselves (the server's
// request bodies): syntax errors, duplicate keys (which most parsers silently collapse), nesting
// deeper than `max_depth` and text longer than `max_bytes` are vit::Error (kInvalidInput) naming
// `where`. Linear in the text (O(log n) per object member); nothing is built.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace vit {

void CheckJson(std::string_view text, const std::string& where, int max_depth = 64,
               size_t max_bytes = size_t{64} << 20);

}  // namespace vit
