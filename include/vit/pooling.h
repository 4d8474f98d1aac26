// Per-image vectors from last_hidden_state [B, T, D], defined once for `vit embed`, the server and probes.
#pragma once

#include "vit/tensor.h"

namespace vit {

// last_hidden_state[:, 0]: the [CLS] token, [B, D].
Tensor ClsTokens(const Tensor& last_hidden_state);
// last_hidden_state[:, 1:].mean(1): the patch tokens' mean, [B, D], summed in double and rounded once (a float
// sum over 196-576 tokens would drift from a float64 reference by more than float32's own rounding).
Tensor MeanOfPatchTokens(const Tensor& last_hidden_state);

}  // namespace vit
