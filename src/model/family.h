// The members of the ViT family (ViT, DeiT, DINOv2, CLIP and SigLIP vision towers) as data: what the one
// forward pass (vit.cc) does differently for each, derived from config.json's model_type and fields. The
// checkpoint names of each member are weights.cc's.
#pragma once

#include <cstdint>
#include <string>

#include "kernels/linear_types.h"
#include "vit/config.h"

namespace vit::model {

// What pooler_output is.
enum class PoolerKind {
  kDense,              // ViTPooler / DeiTPooler: activation(dense(last_hidden_state[:, 0])), when the checkpoint has one
  kFirstToken,         // Dinov2Model: last_hidden_state[:, 0] (after the final LayerNorm)
  kNormedFirstToken,   // CLIPVisionTransformer: post_layernorm(last_hidden_state[:, 0])
  kAttentionHead,      // SiglipMultiheadAttentionPoolingHead: a learned probe attends over every token
  kNone,               // SigLIP with vision_use_head false
};

// What a classifier (ViTForImageClassification-like heads) reads.
enum class ClassifierInput {
  kFirstToken,           // sequence_output[:, 0]
  kFirstTokenAndPatchMean,  // Dinov2ForImageClassification: cat([cls_token, patch_tokens.mean(1)], -1), [B, 2D],
                            // the patch tokens after the registers
};

struct Family {
  std::string name;              // "ViT", "DeiT", "DINOv2", "CLIP", "SigLIP": what `vit inspect` prints
  int64_t leading_tokens = 1;    // tokens before the patches with a position embedding: [CLS] (+ distillation)
  int64_t register_tokens = 0;   // tokens after them without one (DINOv2 with registers)
  bool pre_layernorm = false;    // CLIP's pre_layrnorm on the embeddings
  kernels::Epilogue mlp_activation = kernels::Epilogue::kBiasGelu;  // fc1's activation, from hidden_act
  bool layer_scale = false;      // DINOv2: each branch scaled by a learned vector before its residual
  bool swiglu = false;           // DINOv2 SwiGLU MLP (weights_in, silu(x1) * x2, weights_out)
  bool sequence_layernorm = true;  // a final LayerNorm on every token; CLIP's last_hidden_state has none
  PoolerKind pooler = PoolerKind::kDense;
  ClassifierInput classifier_input = ClassifierInput::kFirstToken;
  bool always_interpolate = false;  // DINOv2 interpolates position embeddings to any input size
  bool antialiased_interpolation = false;  // DINOv2 with registers: interpolate(..., antialias=True)
};

// Throws kInvalidInput naming config.json's field for what the family cannot run.
Family FamilyOf(const ViTConfig& config);

}  // namespace vit::model
