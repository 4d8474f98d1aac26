// A checkpoint's tensors by name, whatever the file format (safetensors, torch zip, sharded index).
// Data stays where the file put it (memory-mapped); callers convert with CopyAsFloat32.
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "vit/tensor.h"

namespace vit::io {

enum class DType { kF64, kF32, kF16, kBF16, kI64, kI32, kI16, kI8, kU8, kBool };

size_t DTypeSize(DType dtype);
std::string_view DTypeName(DType dtype);  // safetensors spelling: "F32", "BF16", ...

struct TensorRecord {
  std::string name;
  DType dtype = DType::kF32;
  std::vector<int64_t> shape;
  const std::byte* data = nullptr;  // may be unaligned: read through CopyAsFloat32
  size_t nbytes = 0;
  int64_t numel() const;
};

class TensorSource {
 public:
  virtual ~TensorSource() = default;
  // Every tensor, in file order.
  virtual const std::vector<TensorRecord>& tensors() const = 0;
  // The file (or index) the tensors came from, for error messages.
  virtual const std::filesystem::path& path() const = 0;
  // Total bytes of the weight files.
  virtual uint64_t file_bytes() const = 0;
  // Drops the mapped pages from this process's memory once the caller has copied what it needs.
  virtual void ReleasePages() {}
  // The same for one tensor's pages, so that a loader that converts tensor by tensor keeps at most one
  // tensor of the file resident.
  virtual void ReleaseTensor(const TensorRecord& /*tensor*/) {}
  // Copies the tensor's nbytes into `out`; file-backed sources read them from the file rather than through
  // the mapping (MappedFile::CopyOut), which is what makes loading fast.
  virtual void CopyBytes(const TensorRecord& tensor, std::byte* out) const;

  const TensorRecord* Find(std::string_view name) const;
};

// A record viewing a float32 tensor's data (for writing it, e.g. with WriteSafetensors); `tensor` must outlive it.
TensorRecord F32Record(const std::string& name, const vit::Tensor& tensor);

// Converts F32/F16/BF16/F64 data to float32 (out has record.numel() elements); throws otherwise.
void CopyAsFloat32(const TensorRecord& record, float* out);
// The same, with F32 data read through source.CopyBytes.
void ReadAsFloat32(const TensorSource& source, const TensorRecord& record, float* out);

// Opens the weights of a model folder: model.safetensors, else model.safetensors.index.json (shards),
// else pytorch_model.bin, else pytorch_model.bin.index.json.
// A weights file named directly (.safetensors, .bin/.pt/.pth, .index.json) is opened as what its name says.
// Throws kNotFound naming the four file names when the folder has none of them.
std::unique_ptr<TensorSource> OpenCheckpoint(const std::filesystem::path& model_dir);
// The file that OpenCheckpoint would open, or an empty path.
std::filesystem::path FindCheckpointFile(const std::filesystem::path& model_dir);

std::unique_ptr<TensorSource> OpenSafetensors(const std::filesystem::path& file);
std::unique_ptr<TensorSource> OpenTorchCheckpoint(const std::filesystem::path& file);
std::unique_ptr<TensorSource> OpenShardedCheckpoint(const std::filesystem::path& index_json);

}  // namespace vit::io
