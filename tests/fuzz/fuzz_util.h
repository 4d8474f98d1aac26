// Shared by the fuzz targets: touch every byte a parser hands back, so that a record pointing
// outside the input shows up under AddressSanitizer instead of passing silently.
#pragma once

#include <vector>

#include "io/tensor_source.h"

namespace vit::fuzz {

inline void ReadAll(const std::vector<io::TensorRecord>& records) {
  for (const io::TensorRecord& r : records) {
    if (r.dtype == io::DType::kF32 || r.dtype == io::DType::kF16 || r.dtype == io::DType::kBF16 ||
        r.dtype == io::DType::kF64) {
      std::vector<float> out(static_cast<size_t>(r.numel()));
      io::CopyAsFloat32(r, out.data());
    } else {
      volatile unsigned char sink = 0;
      for (size_t i = 0; i < r.nbytes; ++i) sink = sink ^ static_cast<unsigned char>(r.data[i]);
    }
  }
}

}  // namespace vit::fuzz
