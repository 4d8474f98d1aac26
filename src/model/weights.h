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

// ViTLayer: query/key/value fused into one [3D, D] GEMM; the rest as in the checkpoint.
struct LayerWeights {
  LayerNormWeights layernorm_before;
  kernels::PackedLinear qkv;               // attention.attention.{query,key,value}
  kernels::PackedLinear attention_output;  // attention.output.dense
  LayerNormWeights layernorm_after;
  kernels::PackedLinear intermediate;      // intermediate.dense
  kernels::PackedLinear output;            // output.dense
};

struct ViTWeights {
  kernels::PackedLinear patch_projection;  // embeddings.patch_embeddings.projection, conv as [D, C*p*p]
  Parameter cls_token;                     // [D]
  Parameter position_embeddings;           // [(num_patches + 1) * D]
  std::vector<LayerWeights> layers;
  LayerNormWeights layernorm;
  std::optional<kernels::PackedLinear> pooler;      // pooler.dense
  std::optional<kernels::PackedLinear> classifier;  // classifier
  int64_t num_parameters = 0;
  Precision precision = Precision::kF32;  // what the linear layers were packed as
};

// Binds every tensor of `source` (keys with or without the "vit." prefix). Missing, unexpected or
// mis-shaped tensors are errors naming the tensor and both shapes. With a cache, linear layers found there
// are mapped instead of packed (their tensors are still checked), and the others are added to it.
ViTWeights BindWeights(io::TensorSource& source, const ViTConfig& config, Precision precision,
                       PackedCache* cache = nullptr);

}  // namespace vit::model
