// Writes one .npy array in blocks of rows along any axis, at their final offsets (pwrite), so that
// arrays like hidden_states [layers, N, T, D] can be streamed batch by batch.
#pragma once

#include <cstdint>
#include <filesystem>
#include <vector>

namespace vit::io {

class NpyBlockWriter {
 public:
  NpyBlockWriter(const std::filesystem::path& path, std::vector<int64_t> shape, int row_axis);
  ~NpyBlockWriter();
  NpyBlockWriter(const NpyBlockWriter&) = delete;
  NpyBlockWriter& operator=(const NpyBlockWriter&) = delete;

  // data: the block in C order, `count` rows along the row axis.
  void WriteRows(int64_t first_row, int64_t count, const float* data);
  // Only index `outer` of the axes before the row axis (a flat index over them).
  void WriteSlab(int64_t outer, int64_t first_row, int64_t count, const float* data);
  // Shrinks the row axis to `rows` (compacting the file in place), rewrites the header, closes.
  void Finish(int64_t rows);
  const std::vector<int64_t>& shape() const { return shape_; }

 private:
  void WriteHeader();
  std::filesystem::path path_;
  std::vector<int64_t> shape_;
  int row_axis_;
  int64_t outer_ = 1, inner_ = 1;  // elements before and after the row axis
  int fd_ = -1;
};

// The .npy v1.0 preamble for a '<f4' C-order array, padded to a fixed 128 bytes so that a later rewrite
// with another shape never moves the data.
std::vector<char> EncodeNpyHeaderFixed(const std::vector<int64_t>& shape);

}  // namespace vit::io
