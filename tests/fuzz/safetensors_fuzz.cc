// libFuzzer target: the safetensors header parser and its bounds checks.
#include <cstddef>
#include <cstdint>
#include <span>

#include "fuzz_util.h"
#include "io/safetensors.h"
#include "vit/error.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  try {
    vit::fuzz::ReadAll(vit::io::ParseSafetensors(std::as_bytes(std::span(data, size)), "fuzz.safetensors"));
  } catch (const vit::Error&) {
    // Rejecting bad input is the expected outcome; anything else escapes and is reported.
  }
  return 0;
}
