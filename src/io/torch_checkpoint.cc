#include "io/tensor_source.h"
#include "vit/error.h"

namespace vit::io {

std::unique_ptr<TensorSource> OpenTorchCheckpoint(const std::filesystem::path& file) {
  throw Error(file.string() + ": reading pytorch_model.bin is not implemented yet; convert it to safetensors",
              ErrorKind::kUnsupported);
}

}  // namespace vit::io
