// Multi-head scaled dot-product attention over a batch of sequences, without a mask.
#pragma once

#include <cstdint>

namespace vit::kernels {

struct AttentionShape {
  int64_t batch = 1;
  int64_t tokens = 1;
  int64_t heads = 1;
  int64_t head_dim = 1;
  // Columns from one head's q (k, v) to the next head's: head_dim when heads sit side by side, larger when
  // each head's q, k and v sit together (a fused QKV output ordered by head).
  int64_t head_stride = 0;  // 0: head_dim
  int64_t stride() const { return head_stride > 0 ? head_stride : head_dim; }
};

// kBF16: q k^T and p v multiply bf16 roundings of their inputs, summing in fp32 (AMX tiles, or AVX512-BF16's
// dot products on CPUs without AMX, where they run at twice the fp32 rate), for models whose GEMMs already
// run in bf16 or int8; the softmax stays fp32. Where neither is usable, or head_dim is not a multiple of 16,
// kBF16 computes as kF32.
enum class AttentionProducts { kF32, kBF16 };

// q, k, v: row (b*tokens + t) holds all heads, head h at columns [h*stride(), h*stride() + head_dim);
// consecutive rows are ld_qkv floats apart (so q, k, v may be slices of one fused QKV output).
// out: [batch*tokens, heads*head_dim] contiguous, heads concatenated as transformers' context layer.
// probs: if not null, [batch, heads, tokens, tokens] softmax(q k^T * scale) is written there.
void MultiHeadAttention(const float* q, const float* k, const float* v, int64_t ld_qkv, const AttentionShape& shape,
                        float scale, float* out, float* probs,
                        AttentionProducts precision = AttentionProducts::kF32);

}  // namespace vit::kernels
