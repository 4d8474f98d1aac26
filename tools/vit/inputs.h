// What `vit embed` and friends take as INPUTS: image files, folders (recursed, sorted), and .npy files
// of pixel_values [B, C, H, W]. Each becomes one or more rows, named in inputs.txt.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

namespace vit::tool {

struct InputItem {
  std::filesystem::path path;
  int64_t npy_row = -1;  // >= 0: row of a pixel_values .npy file; < 0: an image file
  std::string Name() const;
};

bool IsImageExtension(const std::filesystem::path& path);

// Expands folders (only files with image extensions or .npy, sorted by path) and .npy files (one item
// per row, from the header). A missing input is an error naming it.
std::vector<InputItem> ExpandInputs(const std::vector<std::string>& inputs);

}  // namespace vit::tool
