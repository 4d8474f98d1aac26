// In-memory .npy parsing, shared by ReadNpy and the fuzz target.
#pragma once

#include <cstddef>
#include <filesystem>
#include <span>
#include <string>
#include <vector>

#include "io/npy.h"

namespace vit::io {

struct NpyHeader {
  std::string descr;  // '<f4', '<f8', ...
  bool fortran_order = false;
  std::vector<int64_t> shape;
  size_t data_offset = 0;  // bytes from the start of the file
};

// Magic, version (1.0, 2.0, 3.0) and the header dict; `where` names the file in errors.
NpyHeader ParseNpyHeader(std::span<const std::byte> bytes, const std::string& where);
// The header of a regular file, checked against the file's size: a 128-byte file cannot claim
// billions of rows, so callers may allocate per row once this returns.
NpyHeader ReadNpyHeader(const std::filesystem::path& path);
// A whole '<f4' / '<f8' C-order file image, converted to float32.
NpyArray ParseNpy(std::span<const std::byte> bytes, const std::string& where);

}  // namespace vit::io
