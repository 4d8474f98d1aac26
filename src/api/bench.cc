#include "vit/bench.h"

#include "core/threads.h"
#include "kernels/peak.h"
#include "model/family.h"

namespace vit {

PeakThroughput MeasurePeakThroughput(Precision precision, int threads, double seconds) {
  kernels::PeakKind kind = kernels::PeakKind::kF32Fma;
  if (precision == Precision::kBF16) kind = kernels::PeakKind::kBF16Dot;
  if (precision == Precision::kInt8) kind = kernels::PeakKind::kInt8Dot;
  if (threads <= 0) threads = core::NumThreads();  // what Model::Load set up for "every core"
  const kernels::PeakResult r = kernels::MeasurePeak(kind, threads, seconds);
  PeakThroughput peak{r.available, r.isa, r.gflops, "", 0};
  if (r.available && r.isa.rfind("amx", 0) == 0) {
    const kernels::PeakResult v = kernels::MeasurePeak(
        precision == Precision::kBF16 ? kernels::PeakKind::kBF16Vector : kernels::PeakKind::kInt8Vector, threads,
        seconds);
    if (v.available) {
      peak.vector_isa = v.isa;
      peak.vector_gflops = v.gflops;
    }
  }
  return peak;
}

StageValues StageFlopsPerImage(const ViTConfig& c, bool has_pooler, bool has_classifier) {
  const double d = static_cast<double>(c.hidden_size);
  const double inner = static_cast<double>(c.intermediate_size);
  const double patches = static_cast<double>(c.num_patches());
  // The tokens before the patches: [CLS] (ViT, DINOv2, CLIP), + DeiT's distillation token, + DINOv2's
  // registers; none for SigLIP.
  const model::Family family = model::FamilyOf(c);
  const double tokens = patches + static_cast<double>(family.leading_tokens + family.register_tokens);
  const double patch_inputs = static_cast<double>(c.num_channels * c.patch_size * c.patch_size);
  const double layers = static_cast<double>(c.num_hidden_layers);

  StageValues flops;
  flops[Stage::kEmbeddings] = 2 * patches * patch_inputs * d;
  flops[Stage::kQueryKeyValue] = layers * 2 * tokens * d * (3 * d);
  flops[Stage::kAttention] = layers * 2 * (2 * tokens * tokens * d);  // q k^T, then probs v, over all heads
  flops[Stage::kAttentionOutput] = layers * 2 * tokens * d * d;
  // SwiGLU's weights_in (DINOv2-giant) yields both halves of the gated product: twice fc1's outputs.
  flops[Stage::kIntermediate] = layers * 2 * tokens * d * inner * (family.swiglu ? 2 : 1);
  flops[Stage::kOutput] = layers * 2 * tokens * inner * d;
  const double pooled = c.pooler_output_size > 0 ? static_cast<double>(c.pooler_output_size) : d;
  if (has_pooler) flops[Stage::kHead] += 2 * d * pooled;
  if (has_classifier) flops[Stage::kHead] += 2 * d * static_cast<double>(c.id2label.size());
  return flops;
}

double ForwardFlopsPerImage(const ViTConfig& config, bool has_pooler, bool has_classifier) {
  return StageFlopsPerImage(config, has_pooler, has_classifier).Sum();
}

}  // namespace vit
