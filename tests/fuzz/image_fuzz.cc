// libFuzzer target: vit::DecodeImage on any bytes (format sniffing and every decoder behind it), with
// the EXIF orientation applied as --exif-transpose does.
#include <cstddef>
#include <cstdint>
#include <span>

#include "vit/error.h"
#include "vit/image.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  try {
    vit::DecodeOptions options;
    options.exif_transpose = true;
    const vit::Image image = vit::DecodeImage(std::span(data, size), "fuzz", options);
    volatile uint8_t sink = 0;
    for (const uint8_t v : image.rgb) sink = sink ^ v;
  } catch (const vit::Error&) {
  }
  return 0;
}
