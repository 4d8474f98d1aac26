// ViTConfig: fields spelled as config.json, defaults as transformers' config class of the model_type
// (ViTConfig, DeiTConfig, Dinov2Config, CLIPVisionConfig, SiglipVisionConfig). A full CLIPModel or
// SiglipModel config.json gives the vision tower's fields from its "vision_config".
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace vit {

struct ViTConfig {
  int64_t hidden_size = 768;
  int64_t num_hidden_layers = 12;
  int64_t num_attention_heads = 12;
  int64_t intermediate_size = 3072;
  std::string hidden_act = "gelu";
  double layer_norm_eps = 1e-12;
  int64_t image_size = 224;
  int64_t patch_size = 16;
  int64_t num_channels = 3;
  bool qkv_bias = true;
  int64_t encoder_stride = 16;
  // Pooler (newer transformers): output width and activation; pooler_output_size defaults to hidden_size.
  int64_t pooler_output_size = 0;  // 0: hidden_size
  std::string pooler_act = "tanh";
  std::vector<std::string> architectures;
  std::vector<std::string> id2label;  // index = class id; empty without a classification head
  std::string model_type = "vit";  // vit | deit | dinov2 | dinov2_with_registers | clip(_vision_model) | siglip(_vision_model)
  // DINOv2: the layer scales' initial value (their presence in the checkpoint is what counts), the MLP's
  // width as a ratio (intermediate_size is derived from it), SwiGLU, and register tokens.
  double layerscale_value = 1.0;
  double mlp_ratio = 4.0;
  bool use_swiglu_ffn = false;
  int64_t num_register_tokens = 0;
  // CLIP: visual_projection's width (image_embeds), 0 without one.
  int64_t projection_dim = 0;
  // SigLIP: whether the vision tower has its attention-pooling head (pooler_output).
  bool vision_use_head = true;

  int64_t head_dim() const { return hidden_size / num_attention_heads; }
  int64_t num_patches() const { return (image_size / patch_size) * (image_size / patch_size); }
};

}  // namespace vit
