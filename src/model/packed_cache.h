// The model's linear layers in packed form, kept on disk between loads: a load that finds them skips
// converting, quantizing and reordering the weights and maps the packed bytes straight from the page cache
// (shared between processes, nothing first-touched).
//
// One safetensors file per (weights file, precision) in the cache folder, named by a hash of its key: the
// weights file's canonical path, size and modification time, and the precision. Each layer is stored as
// <name>.weights (U8, the packed bytes), <name>.bias and for int8 <name>.scales and <name>.offsets (F32),
// with its layout string (oneDNN version, CPU ISA, blocking) in the metadata; a layer is used only when that
// string equals what this process would pack, so a file written by another oneDNN or on another CPU is
// repacked, never misread.
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "io/tensor_source.h"
#include "kernels/gemm.h"

namespace vit::model {

class PackedCache {
 public:
  // Looks for the file of `source` in `dir`. An unreadable or foreign file is ignored (and replaced by
  // Save), so a cache can never make a load fail.
  PackedCache(const std::filesystem::path& dir, const io::TensorSource& source, Precision precision);
  ~PackedCache();

  // The stored layer `name` if it was packed for (out, in) with today's layout.
  std::optional<kernels::PackedLinear> Find(const std::string& name, int64_t out_features, int64_t in_features);
  // Every layer of the model, found or packed afresh, in load order; its memory must outlive Save().
  void Add(const std::string& name, const kernels::PackedLinear& linear);
  // Writes the file (to a temporary name, then renamed over) when some layer was packed afresh.
  // Returns what happened, for ModelInfo: "used <file>", "wrote <file>" or "not written: <reason>".
  std::string Save();

  const std::filesystem::path& file() const { return file_; }
  int hits() const { return hits_; }

 private:
  // The record `name` if it has this dtype.
  const io::TensorRecord* Record(const std::string& name, io::DType dtype) const;

  struct Entry {
    std::string name, layout;
    std::span<const std::byte> weights;
    std::span<const float> bias, scales, offsets;
  };

  std::filesystem::path file_;
  std::string key_;
  Precision precision_;
  std::shared_ptr<const void> mapping_;  // the existing file, mapped; shared with the layers found in it
  std::vector<io::TensorRecord> records_;
  std::map<std::string, std::string> metadata_;
  std::string ignored_;  // why an existing file was not used
  std::vector<Entry> entries_;
  int hits_ = 0, misses_ = 0;
};

}  // namespace vit::model
