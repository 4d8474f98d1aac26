// One vector per image: the one definition of "pooling" that `vit embed`, the probes, the indexes, the
// server and the library share, with one set of names and one default.
//   pooler  pooler_output, as the family computes it: ViT/DeiT dense + tanh on [CLS] (only checkpoints with
//           a pooler have it), DINOv2 the final LayerNorm's [CLS], CLIP post_layernorm([CLS]), SigLIP its
//           attention-pooling head. It is the default for every family: what each model's users take as
//           "the image's embedding". CLIP's projected vector for text-image similarity is a separate output,
//           image_embeds (`vit embed --outputs image_embeds`).
//   cls     last_hidden_state[:, 0], what ViTForImageClassification's classifier reads (SigLIP has no [CLS]:
//           refused)
//   mean    the mean of the patch tokens, last_hidden_state[:, L:].mean(1), where L is the number of tokens
//           before the patches (ModelOutput::leading_tokens): 1 for ViT and CLIP ([CLS]), 2 for DeiT (+ the
//           distillation token), 1 + registers for DINOv2 with registers, 0 for SigLIP
// `vit embed --outputs` names them as transformers' outputs: pooler_output, cls, mean.
#pragma once

#include <span>
#include <string>
#include <string_view>

#include "vit/model_output.h"
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
// when the checkpoint has none); `leading_tokens`: the tokens before the patches (ModelOutput's). A copy.
// Throws vit::Error(kUnsupported) for kPooler without pooler_output and for kCls without leading tokens.
Tensor Pool(const Tensor& last_hidden_state, const Tensor& pooler_output, Pooling pooling,
            int64_t leading_tokens = 1);
// Pool() on what Model::Run returned.
Tensor Pool(const ModelOutput& output, Pooling pooling);

// last_hidden_state[:, 0]: the [CLS] token, [B, D]. Throws vit::Error(kUnsupported) when there are no leading
// tokens (SigLIP).
Tensor ClsTokens(const Tensor& last_hidden_state, int64_t leading_tokens = 1);
// last_hidden_state[:, leading_tokens:].mean(1): the patch tokens' mean, [B, D], summed in double and rounded
// once (a float sum over 196-576 tokens would drift from a float64 reference by more than float32's own
// rounding).
Tensor MeanOfPatchTokens(const Tensor& last_hidden_state, int64_t leading_tokens = 1);

// Divides by the Euclidean norm, summed in double (kept as is when the norm is 0 or not finite).
void L2Normalize(std::span<float> vector);
// The same for each row of a [B, D] tensor.
void L2NormalizeRows(Tensor& rows);

}  // namespace vit
