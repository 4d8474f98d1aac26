#include "kernels/linear_backend.h"

#include "vit/error.h"

namespace vit::kernels {

LinearBackend::LinearBackend(int64_t out_features, int64_t in_features, Precision precision, const float* bias)
    : out_features_(out_features), in_features_(in_features), precision_(precision) {
  if (bias != nullptr) {
    bias_.assign(bias, bias + out_features);
  } else {
    bias_.assign(static_cast<size_t>(out_features), 0.f);
  }
}

void LinearBackend::ForwardBf16(const uint16_t*, int64_t, void*, bool, Epilogue) const {
  throw Error(std::string("gemm: bf16 activations given to a ") + PrecisionName(precision_) + " layer",
              ErrorKind::kInvalidArgument);
}

void CheckPackedForm(const PackedForm& form, const std::string& layout, size_t bytes) {
  if (form.layout != layout)
    throw Error("gemm: packed weights laid out as '" + form.layout + "', this build and CPU want '" + layout + "'",
                ErrorKind::kInvalidInput);
  if (form.weights.size() != bytes || reinterpret_cast<uintptr_t>(form.weights.data()) % 64 != 0)
    throw Error("gemm: packed weights are " + std::to_string(form.weights.size()) + " bytes, expected " +
                    std::to_string(bytes) + " at a 64-byte boundary",
                ErrorKind::kInvalidInput);
}

}  // namespace vit::kernels
