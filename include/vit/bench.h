// Benchmark helpers of the public API: the machine's measured peak arithmetic rate per precision and
// the FLOP count of one image through a model, so achieved GFLOP/s can be put against the peak.
#pragma once

#include <cstdint>
#include <string>

#include "vit/config.h"
#include "vit/options.h"
#include "vit/stages.h"

namespace vit {

struct PeakThroughput {
  bool available = false;  // false: this CPU has no instruction of that precision (reported as n/a)
  std::string isa;         // f32: FMA (avx512f / avx2+fma); bf16: VDPBF16PS; int8: VPDPBUSD
  double gflops = 0;       // all threads together; int8 counts integer multiply-adds x 2
  // bf16 / int8 where the peak above is an AMX tile unit: the vector dot-product peak as well (the
  // peak of CPUs without AMX); empty / 0 otherwise.
  std::string vector_isa;
  double vector_gflops = 0;
};

// Runs a short loop of independent multiply-accumulate instructions on `threads` threads (0: the
// threads Model::Load set up, by default every core).
PeakThroughput MeasurePeakThroughput(Precision precision, int threads, double seconds = 0.3);

// Multiply-adds x 2 of one image through the model: patch embedding, every encoder layer (QKV, q k^T,
// probs v, output projection, MLP) and, when present, the pooler and classifier.
double ForwardFlopsPerImage(const ViTConfig& config, bool has_pooler, bool has_classifier);
// The same count split by stage (LayerNorm: 0); the stages sum to ForwardFlopsPerImage.
StageValues StageFlopsPerImage(const ViTConfig& config, bool has_pooler, bool has_classifier);

}  // namespace vit
