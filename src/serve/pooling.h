// From the model's per-image outputs to one embedding vector, as the embedding APIs offer it:
//   pooler  pooler_output (dense + tanh on [CLS]); only checkpoints with a pooler have it
//   cls     last_hidden_state[:, 0]
//   mean    the mean of the patch tokens last_hidden_state[:, 1:]
#pragma once

#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "vit/tensor.h"

namespace vit::serve {

enum class Pooling { kPooler, kCls, kMean };

// Throws vit::Error(kInvalidArgument) naming the field and the accepted values.
Pooling ParsePooling(std::string_view name);
const char* PoolingName(Pooling pooling);

// `last_hidden_state` [1,T,D], `pooler_output` [1,P] or empty. Throws vit::Error(kUnsupported) for
// kPooler when the checkpoint has no pooler.
std::vector<float> Pool(const Tensor& last_hidden_state, const Tensor& pooler_output, Pooling pooling);

// Divides by the Euclidean norm (kept as is when the norm is 0).
void L2Normalize(std::span<float> vector);

}  // namespace vit::serve
