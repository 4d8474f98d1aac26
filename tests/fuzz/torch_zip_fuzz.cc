// libFuzzer target: a whole torch.save checkpoint: zip directory, pickle, storage binding.
#include <cstddef>
#include <cstdint>
#include <deque>
#include <span>

#include "fuzz_util.h"
#include "io/torch_checkpoint.h"
#include "vit/error.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  try {
    std::deque<std::vector<std::byte>> copies;
    vit::fuzz::ReadAll(vit::io::ParseTorchCheckpoint(std::as_bytes(std::span(data, size)), "fuzz.bin", copies));
  } catch (const vit::Error&) {
  }
  return 0;
}
