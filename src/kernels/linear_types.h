// What the linear layers' front end (gemm.h) and its back ends share: the precision the weights are
// packed in and the epilogues fused into the product.
#pragma once

#include "vit/precision.h"

namespace vit::kernels {

using vit::Precision;

enum class Epilogue {
  kBias,          // y = xW^T + b
  kBiasGelu,      // y = gelu_erf(xW^T + b)
  kBiasResidual,  // y = xW^T + b + y   (y holds the residual on entry)
  kBiasTanh,      // y = tanh(xW^T + b)
  kBiasQuickGelu, // y = quick_gelu(xW^T + b) = z * sigmoid(1.702 z)   (CLIP)
  kBiasGeluTanh,  // y = gelu_tanh(xW^T + b), PyTorch's approximate="tanh"   (SigLIP)
};

}  // namespace vit::kernels
