// The ViT's weights, bound from a checkpoint by their Hugging Face names (candle's vb.pp() style): every
// struct mirrors a module of modeling_vit.py, and Bind() checks each shape and names the full key on error.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/aligned.h"
#include "io/tensor_source.h"
#include "kernels/gemm.h"
#include "model/packed_cache.h"
#include "vit/config.h"

namespace vit::model {

// A float32 parameter owned by the model (LayerNorm gains, embeddings).
struct Parameter {
  core::AlignedPtr<float> data;
  int64_t size = 0;
  const float* get() const { return data.get(); }
};

struct LayerNormWeights {
  Parameter weight, bias;
};

// One encoder layer: query/key/value fused into one [3D, D] GEMM; the rest as in the checkpoint. Named as
// ViTLayer names them; the other families' names are in weights.cc.
struct LayerWeights {
  LayerNormWeights layernorm_before;       // DINOv2 norm1, CLIP/SigLIP layer_norm1
  kernels::PackedLinear qkv;               // attention.attention.{query,key,value} / self_attn.{q,k,v}_proj
  kernels::PackedLinear attention_output;  // attention.output.dense / self_attn.out_proj
  LayerNormWeights layernorm_after;        // norm2 / layer_norm2
  kernels::PackedLinear intermediate;      // intermediate.dense / mlp.fc1
  kernels::PackedLinear output;            // output.dense / mlp.fc2
  Parameter layer_scale1, layer_scale2;    // DINOv2 layer_scale{1,2}.lambda1 [D]; empty elsewhere
};

// SiglipMultiheadAttentionPoolingHead: the probe's query is fixed, so it is computed once at load.
struct AttentionPoolWeights {
  Parameter query;                // in_proj(probe)'s query part, [D]
  kernels::PackedLinear key_value;  // in_proj's key and value rows, [2D, D]
  kernels::PackedLinear out_proj;
  LayerNormWeights layernorm;
  kernels::PackedLinear fc1, fc2;
};

struct ViTWeights {
  kernels::PackedLinear patch_projection;  // embeddings.patch_embeddings.projection, conv as [D, C*p*p]
  Parameter leading_tokens;                // [CLS] (+ DeiT's distillation token), [Family::leading_tokens * D]
  Parameter register_tokens;               // DINOv2 with registers, [registers * D]
  Parameter position_embeddings;           // [(leading_tokens + num_patches) * D]
  std::optional<LayerNormWeights> pre_layernorm;   // CLIP pre_layrnorm
  std::vector<LayerWeights> layers;
  std::optional<LayerNormWeights> layernorm;       // on every token: layernorm / SigLIP post_layernorm
  std::optional<LayerNormWeights> post_layernorm;  // CLIP: on the pooled [CLS]
  std::optional<kernels::PackedLinear> pooler;      // pooler.dense
  std::optional<AttentionPoolWeights> attention_pool;  // SigLIP head
  std::optional<kernels::PackedLinear> visual_projection;  // CLIP: pooler_output -> image_embeds
  std::optional<kernels::PackedLinear> classifier;  // classifier; DeiT with teacher: cls_classifier
  std::optional<kernels::PackedLinear> distillation_classifier;  // DeiT with teacher: on the distillation token
  int64_t num_parameters = 0;
  Precision precision = Precision::kF32;  // what the linear layers were packed as
};

// Binds every tensor of `source` by the names of config.model_type's checkpoints (keys with or without the
// backbone's prefix: "vit.", "deit.", "dinov2."; "vision_model." for CLIP and SigLIP, whose full models'
// text towers are skipped). Missing, unexpected or
// mis-shaped tensors are errors naming the tensor and both shapes. With a cache, linear layers found there
// are mapped instead of packed (their tensors are still checked), and the others are added to it.
ViTWeights BindWeights(io::TensorSource& source, const ViTConfig& config, Precision precision,
                       PackedCache* cache = nullptr);

}  // namespace vit::model
