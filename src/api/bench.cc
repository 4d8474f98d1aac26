#include "vit/bench.h"

#include "core/threads.h"
#include "kernels/peak.h"

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

double ForwardFlopsPerImage(const ViTConfig& c, bool has_pooler, bool has_classifier) {
  const double d = static_cast<double>(c.hidden_size);
  const double inner = static_cast<double>(c.intermediate_size);
  const double patches = static_cast<double>(c.num_patches());
  const double tokens = patches + 1;
  const double patch_inputs = static_cast<double>(c.num_channels * c.patch_size * c.patch_size);

  double flops = 2 * patches * patch_inputs * d;
  const double per_layer = 2 * tokens * d * (3 * d)  // fused query/key/value
                           + 2 * tokens * tokens * d   // q k^T over all heads
                           + 2 * tokens * tokens * d   // probs v
                           + 2 * tokens * d * d        // attention output dense
                           + 2 * tokens * d * inner    // intermediate dense
                           + 2 * tokens * inner * d;   // output dense
  flops += static_cast<double>(c.num_hidden_layers) * per_layer;
  const double pooled = c.pooler_output_size > 0 ? static_cast<double>(c.pooler_output_size) : d;
  if (has_pooler) flops += 2 * d * pooled;
  if (has_classifier) flops += 2 * d * static_cast<double>(c.id2label.size());
  return flops;
}

}  // namespace vit
