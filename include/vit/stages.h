// The stages of one forward pass, for timing where a run spends its time (RunOptions::time_stages,
// `vit bench --stages`). Each is a module of transformers' modeling_vit.py, summed over the layers.
#pragma once

#include <array>
#include <cstddef>

namespace vit {

enum class Stage {
  kEmbeddings,       // patch projection, [CLS], position embeddings
  kLayerNorm,        // layernorm_before, layernorm_after and the final layernorm
  kQueryKeyValue,    // attention.attention.{query,key,value}, fused into one GEMM
  kAttention,        // softmax(q k^T / sqrt(d)) v over every head
  kAttentionOutput,  // attention.output.dense (+ residual)
  kIntermediate,     // intermediate.dense (+ GELU)
  kOutput,           // output.dense (+ residual)
  kHead,             // pooler and classifier on the [CLS] token
};
inline constexpr size_t kStageCount = 8;

// The module path, as in a state dict: "attention.attention.query_key_value", "intermediate.dense", ...
inline const char* StageName(Stage stage) {
  switch (stage) {
    case Stage::kEmbeddings: return "embeddings";
    case Stage::kLayerNorm: return "layernorm";
    case Stage::kQueryKeyValue: return "attention.attention.query_key_value";
    case Stage::kAttention: return "attention.attention.softmax(qk)v";
    case Stage::kAttentionOutput: return "attention.output.dense";
    case Stage::kIntermediate: return "intermediate.dense+gelu";
    case Stage::kOutput: return "output.dense";
    case Stage::kHead: return "pooler/classifier";
  }
  return "?";
}

// One value per stage, indexed by Stage.
struct StageValues {
  std::array<double, kStageCount> values{};
  double& operator[](Stage stage) { return values[static_cast<size_t>(stage)]; }
  double operator[](Stage stage) const { return values[static_cast<size_t>(stage)]; }
  double Sum() const {
    double sum = 0;
    for (double v : values) sum += v;
    return sum;
  }
};

inline constexpr std::array<Stage, kStageCount> kStages = {
    Stage::kEmbeddings,       Stage::kLayerNorm,    Stage::kQueryKeyValue, Stage::kAttention,
    Stage::kAttentionOutput, Stage::kIntermediate, Stage::kOutput,        Stage::kHead};

}  // namespace vit
