// What one forward pass returns, apart from the Model that produces it, so that the model layer
// (src/model) and the public Model share the type without the model layer including the Model's header.
#pragma once

#include <cstdint>
#include <vector>

#include "vit/stages.h"
#include "vit/tensor.h"

namespace vit {

// Named as transformers names them. Tensors a checkpoint or the options do not produce stay empty.
struct ModelOutput {
  Tensor last_hidden_state;          // [B, T, D] after the final LayerNorm
  Tensor pooler_output;              // [B, pooler_output_size] when the checkpoint has a pooler (model/family.h)
  Tensor image_embeds;               // [B, projection_dim]: CLIP's visual_projection(pooler_output), when it has one
  Tensor logits;                     // [B, num_labels] for ViTForImageClassification checkpoints
  std::vector<Tensor> hidden_states; // num_hidden_layers + 1 of [B, T, D]; the last before the final LN
  std::vector<Tensor> attentions;    // num_hidden_layers of [B, heads, T, T]
  StageValues stage_seconds;         // with RunOptions::time_stages: seconds per stage of this run; else 0
  // Tokens of last_hidden_state before the patch tokens: [CLS] (1: ViT, CLIP, DINOv2), DeiT's distillation
  // token (2), DINOv2's registers (1 + num_register_tokens); 0 for SigLIP, which has no [CLS].
  int64_t leading_tokens = 1;
};

}  // namespace vit
