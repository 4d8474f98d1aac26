// libFuzzer target: the .npy header dict reader and payload size checks.
#include <cstddef>
#include <cstdint>
#include <span>

#include "io/npy_parse.h"
#include "vit/error.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  try {
    vit::io::NpyArray array = vit::io::ParseNpy(std::as_bytes(std::span(data, size)), "fuzz.npy");
    volatile float sink = 0;
    for (float v : array.data) sink = sink + v;
  } catch (const vit::Error&) {
  }
  return 0;
}
