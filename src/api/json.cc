#include "vit/json.h"

#include "io/json.h"

namespace vit {

void CheckJson(std::string_view text, const std::string& where, int max_depth, size_t max_bytes) {
  io::CheckJson(text, where, {.max_depth = max_depth, .max_bytes = max_bytes});
}

}  // namespace vit
