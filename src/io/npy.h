// numpy .npy files, float32 little-endian, C order: what users load with np.load. Reads format
// versions 1.0, 2.0 and 3.0; writes 1.0 (2.0 when the header needs it).
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

namespace vit::io {

struct NpyArray {
  std::vector<int64_t> shape;
  std::vector<float> data;
};

// Reads '<f4' (and '<f8', converted) C-order arrays; anything else is a clear error.
NpyArray ReadNpy(const std::filesystem::path& path);
void WriteNpy(const std::filesystem::path& path, const std::vector<int64_t>& shape, const float* data);

// Magic, version and the dict of a '<f4' C-order array, padded with spaces and a newline so that the
// data starts at a multiple of 64 bytes, and the whole preamble is exactly `min_total` bytes when that
// is larger (so that a later header for another shape can be written over it).
std::string EncodeNpyPreamble(const std::vector<int64_t>& shape, size_t min_total = 0);

}  // namespace vit::io
