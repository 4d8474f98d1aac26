// Multi-head scaled dot-product attention over a batch of sequences, without a mask.
#pragma once

#include <cstdint>

namespace vit::kernels {

struct AttentionShape {
  int64_t batch = 1;
  int64_t tokens = 1;
  int64_t heads = 1;
  int64_t head_dim = 1;
};

// q, k, v: row (b*tokens + t) holds all heads, head h at columns [h*head_dim, (h+1)*head_dim);
// consecutive rows are ld_qkv floats apart (so q, k, v may be slices of one fused QKV output).
// out: [batch*tokens, heads*head_dim] contiguous, heads concatenated as transformers' context layer.
// probs: if not null, [batch, heads, tokens, tokens] softmax(q k^T * scale) is written there.
void MultiHeadAttention(const float* q, const float* k, const float* v, int64_t ld_qkv, const AttentionShape& shape,
                        float scale, float* out, float* probs);

}  // namespace vit::kernels
