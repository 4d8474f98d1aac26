// numpy .npy files, the array format users load anywhere (np.load). float32, C order.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <vector>

#include "vit/tensor.h"

namespace vit {

// Reads a '<f4' or '<f8' (converted) C-order array.
Tensor ReadNpy(const std::filesystem::path& path);
// The shape from the header alone, without reading the data.
std::vector<int64_t> ReadNpyShape(const std::filesystem::path& path);
void WriteNpy(const std::filesystem::path& path, const Tensor& tensor);

// A memory-mapped '<f4' / '<f8' C-order array read a few leading-axis rows at a time, so that a large
// pixel_values file never has to be in memory at once.
class NpyReader {
 public:
  explicit NpyReader(const std::filesystem::path& path);
  ~NpyReader();
  NpyReader(const NpyReader&) = delete;
  NpyReader& operator=(const NpyReader&) = delete;

  const std::vector<int64_t>& shape() const;
  // Copies rows [first, first + count) of axis 0 into `out` (count * row size floats).
  void ReadRows(int64_t first, int64_t count, float* out) const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// Writes an array block by block along one axis ("rows"), so that the whole array never has to be in
// memory: e.g. hidden_states [layers, N, T, D] with rows on axis 1. `shape` gives the planned number of
// rows; Finish() may shrink it (rows that were never written are dropped) and fixes up the header.
class NpyWriter {
 public:
  NpyWriter(const std::filesystem::path& path, std::vector<int64_t> shape, int row_axis = 0);
  ~NpyWriter();
  NpyWriter(const NpyWriter&) = delete;
  NpyWriter& operator=(const NpyWriter&) = delete;

  // block: `shape` with the row axis replaced by the number of rows in the block.
  void WriteRows(int64_t first_row, const Tensor& block);
  // With row_axis 1: one block per index of axis 0 (e.g. one per layer of hidden_states).
  void WriteRows(int64_t first_row, const std::vector<Tensor>& slices);
  void Finish(int64_t rows);
  const std::vector<int64_t>& shape() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace vit
