// The GEMM shapes of ViT-B/16, ViT-L/16 (224) and ViT-H/14 (224): per encoder layer a fused QKV
// projection, the attention output projection and the two MLP layers, plus the patch embedding.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace vit::bench {

struct VitSize {
  const char* name;
  int64_t hidden, intermediate, heads, tokens, patch_inputs;
};

inline const std::vector<VitSize>& VitSizes() {
  static const std::vector<VitSize> sizes = {
      {"B16", 768, 3072, 12, 197, 3 * 16 * 16},
      {"L16", 1024, 4096, 16, 197, 3 * 16 * 16},
      {"H14", 1280, 5120, 16, 257, 3 * 14 * 14},
  };
  return sizes;
}

struct GemmShape {
  std::string name;  // e.g. "L16.fc1"
  int64_t n, k;      // out_features, in_features; the row count is tokens x batch
  int64_t tokens;
};

inline std::vector<GemmShape> VitGemmShapes() {
  std::vector<GemmShape> shapes;
  for (const VitSize& s : VitSizes()) {
    const std::string p = s.name;
    shapes.push_back({p + ".qkv", 3 * s.hidden, s.hidden, s.tokens});
    shapes.push_back({p + ".attn_out", s.hidden, s.hidden, s.tokens});
    shapes.push_back({p + ".fc1", s.intermediate, s.hidden, s.tokens});
    shapes.push_back({p + ".fc2", s.hidden, s.intermediate, s.tokens});
  }
  return shapes;
}

}  // namespace vit::bench
