#include "model/family.h"

#include "vit/error.h"

namespace vit::model {

Family FamilyOf(const ViTConfig& c) {
  Family f;
  const std::string& t = c.model_type;
  if (c.hidden_act == "quick_gelu") {
    f.mlp_activation = kernels::Epilogue::kBiasQuickGelu;
  } else if (c.hidden_act == "gelu_pytorch_tanh") {
    f.mlp_activation = kernels::Epilogue::kBiasGeluTanh;
  }
  if (t == "vit") {
    f.name = "ViT";
  } else if (t == "deit") {
    f.name = "DeiT";
    f.leading_tokens = 2;  // [CLS], distillation
  } else if (t == "dinov2" || t == "dinov2_with_registers") {
    f.name = "DINOv2";
    f.register_tokens = t == "dinov2_with_registers" ? c.num_register_tokens : 0;
    f.layer_scale = true;
    f.swiglu = c.use_swiglu_ffn;
    f.pooler = PoolerKind::kFirstToken;
    f.classifier_input = ClassifierInput::kFirstTokenAndPatchMean;
    f.always_interpolate = true;
    f.antialiased_interpolation = t == "dinov2_with_registers";
  } else if (t == "clip" || t == "clip_vision_model") {
    f.name = "CLIP";
    f.pre_layernorm = true;
    f.sequence_layernorm = false;
    f.pooler = PoolerKind::kNormedFirstToken;
  } else if (t == "siglip" || t == "siglip_vision_model") {
    f.name = "SigLIP";
    f.leading_tokens = 0;
    f.pooler = c.vision_use_head ? PoolerKind::kAttentionHead : PoolerKind::kNone;
  } else {
    throw Error("config.json: field \"model_type\": no family for \"" + t + "\"", ErrorKind::kInvalidInput);
  }
  return f;
}

}  // namespace vit::model
