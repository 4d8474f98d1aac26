// libFuzzer target: the allow-list unpickler on its own (inside a zip, the CRC check would stop
// most mutations before they reach it).
#include <cstddef>
#include <cstdint>
#include <span>

#include "io/unpickler.h"
#include "vit/error.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  try {
    vit::io::UnpickleStateDict(std::as_bytes(std::span(data, size)), "fuzz.pkl");
  } catch (const vit::Error&) {
  }
  return 0;
}
