// Every activation of a forward pass, allocated once for the largest (batch x tokens) seen and reused:
// the steady state allocates nothing (gemma.cpp's activations.h).
#pragma once

#include <cstdint>

#include "core/aligned.h"

namespace vit::model {

struct Workspace {
  core::FloatBuffer patches;       // [B * num_patches, C * p * p]
  core::FloatBuffer patch_embeds;  // [B * num_patches, D]
  core::FloatBuffer hidden;        // [B * T, D] the residual stream
  core::FloatBuffer normed;        // [B * T, D] LayerNorm output
  core::FloatBuffer qkv;           // [B * T, 3 * D]
  core::FloatBuffer context;       // [B * T, D]
  core::FloatBuffer mlp;           // [B * T, intermediate_size]
  core::FloatBuffer gates;         // [B * T, 2 * intermediate_size] SwiGLU's weights_in output (DINOv2)
  // bf16 models: normed and mlp as bf16, the next GEMM's input type (floats as units of storage)
  core::FloatBuffer normed_bf16, mlp_bf16;
  core::FloatBuffer cls;           // [B, D]
  core::FloatBuffer branch;        // [B * T, D] a layer-scaled branch before its residual (DINOv2)
  core::FloatBuffer head;          // the pooling head's activations (SigLIP)
};

}  // namespace vit::model
