// The linear back end on oneDNN's matmul: f32, bf16 and int8 (one activation scale per group of rows),
// on every CPU oneDNN has kernels for; the fallback where ours do not run.
#pragma once

#include <memory>

#include "kernels/linear_backend.h"

namespace vit::kernels {

// weights: [out_features, in_features] row-major in the precision's type (f32, bf16 as uint16, int8);
// quantized: for int8, its scales and offset terms (moved from). Throws kUnsupported where this CPU has
// no oneDNN kernel for the precision.
std::unique_ptr<LinearBackend> PackOneDnnLinear(const void* weights, Precision precision, const float* bias,
                                                int64_t out_features, int64_t in_features,
                                                QuantizedWeights* quantized);
// Views form.weights (owned by `owner`); throws kInvalidInput unless its layout and size are the ones
// this process would pack.
std::unique_ptr<LinearBackend> OneDnnLinearFromPacked(const PackedForm& form, Precision precision,
                                                      int64_t out_features, int64_t in_features,
                                                      std::shared_ptr<const void> owner);

}  // namespace vit::kernels
