// One vector per image: the one definition of "pooling" that `vit embed`, the probes, the indexes, the
// server and the library share, with one set of names and one default.
//   pooler  pooler_output, as the family computes it: ViT/DeiT dense + tanh on [CLS] (only checkpoints with
//           a pooler have it), DINOv2 the final LayerNorm's [CLS], CLIP post_layernorm([CLS]), SigLIP its
//           attention-pooling head. The default for every model without image_embeds.
//   image_embeds  CLIPVisionModelWithProjection's (and CLIPModel's) outputs.image_embeds,
//           visual_projection(pooler_output): the vector CLIP users embed with (what get_image_features
//           returns, the space text queries live in), and so the default for a model that has it.
//   cls     last_hidden_state[:, 0], what ViTForImageClassification's classifier reads (SigLIP has no [CLS]:
//           refused)
//   mean    the mean of the patch tokens, last_hidden_state[:, L:].mean(1), where L is the number of tokens
//           before the patches (ModelOutput::leading_tokens): 1 for ViT and CLIP ([CLS]), 2 for DeiT (+ the
//           distillation token), 1 + registers for DINOv2 with registers, 0 for SigLIP
// `vit embed --outputs` names them as transformers' outputs: pooler_output, image_embeds, cls, mean.
#pragma once

#include <span>
#include <string>
#include <string_view>

#include "vit/config.h"
#include "vit/model_output.h"
#include "vit/tensor.h"

namespace vit {

struct ModelInfo;  // vit/model.h

enum class Pooling { kPooler, kCls, kMean, kImageEmbeds };

// "pooler" (or "pooler_output") | "cls" | "mean" | "image_embeds"; throws vit::Error(kInvalidArgument) naming
// the accepted values.
Pooling ParsePooling(std::string_view name);
// "pooler" | "cls" | "mean" | "image_embeds".
const char* PoolingName(Pooling pooling);
// The output `vit embed` writes for it: "pooler_output" | "cls" | "mean" | "image_embeds".
const char* PoolingOutputName(Pooling pooling);
// The default everywhere (ModelInfo's has_pooler and has_image_embeds): image_embeds when the checkpoint has
// a visual_projection (CLIP), else pooler when it has one (ViTModel and the other families), else cls
// (ViTForImageClassification checkpoints have no pooler; their classifier reads [CLS]).
Pooling DefaultPooling(bool has_pooler, bool has_image_embeds);
Pooling DefaultPooling(const ModelInfo& info);
// Throws vit::Error(kInvalidArgument) naming info.source and the choices when the model cannot give
// `pooling` (pooler without a pooler, image_embeds without a visual_projection, cls without a [CLS]), so that
// a command refuses before any image is read.
void RequirePooling(const ModelInfo& info, Pooling pooling);
// The width of the vectors of `pooling`: pooler_output_size, projection_dim or hidden_size.
int64_t PooledWidth(const ViTConfig& config, Pooling pooling);

// [B, D] vectors of `pooling` from a model's last_hidden_state [B, T, D] and pooler_output [B, P] (empty
// when the checkpoint has none); `leading_tokens`: the tokens before the patches (ModelOutput's). A copy.
// Throws vit::Error(kUnsupported) for kPooler without pooler_output and for kCls without leading tokens;
// kImageEmbeds needs the ModelOutput overload.
Tensor Pool(const Tensor& last_hidden_state, const Tensor& pooler_output, Pooling pooling,
            int64_t leading_tokens = 1);
// Pool() on what Model::Run returned; kImageEmbeds is its image_embeds (kUnsupported when empty).
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
