// The files `vit embed` writes its rows into, in one of three formats, staged in an io::FileSet:
//   npy          <output>.npy per output, float32, row i = input i (hidden_states/attentions: [L, N, ...])
//   jsonl        embeddings.jsonl: one JSON object per input, {"input": name, "<output>": nested lists}
//   safetensors  embeddings.safetensors: one tensor per output, named as the output, float32
// Rows arrive a batch at a time and are written at once, so that no output is ever held whole.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "io/file_set.h"
#include "vit/tensor.h"

namespace vit::tool {

// One output's rows of a batch: `tensor` with rows on axis 0, or per-layer `slices` (each with rows on
// axis 0) for hidden_states and attentions, stacked as [layers, rows, ...].
struct OutputBlock {
  std::string name;
  Tensor tensor;
  std::vector<Tensor> slices;
};

class EmbedWriter {
 public:
  virtual ~EmbedWriter() = default;
  // Rows [first_row, first_row + names.size()); names[i] is row first_row + i's input.
  virtual void Write(int64_t first_row, const std::vector<OutputBlock>& blocks, const std::vector<std::string>& names) = 0;
  virtual void Finish(int64_t rows) = 0;
};

// "npy" | "jsonl" | "safetensors"; `planned_rows`: at most this many rows will come.
std::unique_ptr<EmbedWriter> MakeEmbedWriter(const std::string& format, io::FileSet& set, int64_t planned_rows);
// The files a format may write for these outputs (what an earlier run may have left).
std::vector<std::string> EmbedFileNames();

}  // namespace vit::tool
