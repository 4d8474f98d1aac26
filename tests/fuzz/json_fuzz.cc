// libFuzzer target: io's strict JSON parser (config.json, preprocessor_config.json, safetensors headers,
// request bodies), and the dump of what it accepts.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "io/json.h"
#include "vit/error.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  try {
    const vit::io::Json json = vit::io::ParseJson(text, "fuzz.json");
    volatile size_t sink = json.dump(-1, ' ', false, vit::io::Json::error_handler_t::replace).size();
    (void)sink;
    vit::io::CheckJson(text, "fuzz.json");
  } catch (const vit::Error&) {
  }
  return 0;
}
