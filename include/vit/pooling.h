// One vector per image: the one definition of "pooling" that `vit embed`, the probes, the indexes, the
// server and the library share, with one set of names and one default.
//   pooler  pooler_output, as the family computes it: ViT/DeiT dense + tanh on [CLS] (only checkpoints with
//           a pooler have it), DINOv2 the final LayerNorm's [CLS], CLIP post_layernorm([CLS]), SigLIP its
//           attention-pooling head. It is the default for every family: what each model's users take as
//           "the image's embedding". CLIP's projected vector for text-image similarity is a separate output,
//           image_embeds (`vit embed --outputs image_embeds`).
//   cls     last_hidden_state[:, 0], what ViTForImageClassification's classifier reads
//   mean    last_hidden_state[:, 1:].mean(1), ViT's patch tokens (with DeiT it includes the distillation
//           token and DINOv2's registers; SigLIP, which has no [CLS], loses its first patch: use pooler)
// `vit embed --outputs` names them as transformers' outputs: pooler_output, cls, mean.
#pragma once

#include <span>
#include <string>
#include <string_view>

#include "vit/tensor.h"

namespace vit {

enum class Pooling { kPooler, kCls, kMean };

// "pooler" (or "pooler_output") | "cls" | "mean"; throws vit::Error(kInvalidArgument) naming the accepted values.
Pooling ParsePooling(std::string_view name);
// "pooler" | "cls" | "mean".
const char* PoolingName(Pooling pooling);
// The output `vit embed` writes for it: "pooler_output" | "cls" | "mean".
const char* PoolingOutputName(Pooling pooling);
// The default everywhere: pooler when the checkpoint has one (ViTModel), else cls (ViTForImageClassification
// checkpoints have no pooler; their classifier reads [CLS]).
Pooling DefaultPooling(bool has_pooler);

// [B, D] vectors of `pooling` from a model's last_hidden_state [B, T, D] and pooler_output [B, P] (empty
// when the checkpoint has none). A copy. Throws vit::Error(kUnsupported) for kPooler without pooler_output.
Tensor Pool(const Tensor& last_hidden_state, const Tensor& pooler_output, Pooling pooling);

// last_hidden_state[:, 0]: the [CLS] token, [B, D].
Tensor ClsTokens(const Tensor& last_hidden_state);
// last_hidden_state[:, 1:].mean(1): the patch tokens' mean, [B, D], summed in double and rounded once (a float
// sum over 196-576 tokens would drift from a float64 reference by more than float32's own rounding).
Tensor MeanOfPatchTokens(const Tensor& last_hidden_state);

// Divides by the Euclidean norm, summed in double (kept as is when the norm is 0 or not finite).
void L2Normalize(std::span<float> vector);
// The same for each row of a [B, D] tensor.
void L2NormalizeRows(Tensor& rows);

}  // namespace vit
