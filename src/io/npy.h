// numpy .npy files, float32 little-endian, C order: what users load with np.load. Reads format
// versions 1.0, 2.0 and 3.0; writes 1.0 (2.0 when the header needs it).
#pragma once

#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <vector>

namespace vit::io {

struct NpyArray {
  std::vector<int64_t> shape;
  std::vector<float> data;
};

// Reads '<f4' (and '<f8', converted) C-order arrays; anything else is a clear error.
NpyArray ReadNpy(const std::filesystem::path& path);
void WriteNpy(const std::filesystem::path& path, const std::vector<int64_t>& shape, const float* data);

// Streams rows of shape row_shape into one array; the leading dimension is the number of rows
// appended, fixed up in the header by Close(). Holds no rows in memory.
class NpyWriter {
 public:
  NpyWriter(const std::filesystem::path& path, std::vector<int64_t> row_shape);
  ~NpyWriter();
  NpyWriter(const NpyWriter&) = delete;
  NpyWriter& operator=(const NpyWriter&) = delete;
  void Append(const float* rows, int64_t count);
  void Close();
  int64_t rows() const { return rows_; }

 private:
  std::filesystem::path path_;
  std::vector<int64_t> row_shape_;
  std::FILE* file_ = nullptr;
  int64_t rows_ = 0;
};

}  // namespace vit::io
