#include "kernels/peak.h"

#include <gtest/gtest.h>

namespace vit::kernels {
namespace {

TEST(MeasurePeak, ReportsAPlausibleRateOrNotAvailable) {
  for (PeakKind kind : {PeakKind::kF32Fma, PeakKind::kBF16Dot, PeakKind::kInt8Dot, PeakKind::kBF16Vector,
                        PeakKind::kInt8Vector}) {
    const PeakResult r = MeasurePeak(kind, 1, 0.02);
    SCOPED_TRACE(PeakKindName(kind));
    if (!r.available) {
      EXPECT_EQ(r.gflops, 0);
      continue;
    }
    EXPECT_FALSE(r.isa.empty());
    // Any vector machine does more than 1 GFLOP/s per core; no core does 50 TFLOP/s.
    EXPECT_GT(r.gflops, 1.0);
    EXPECT_LT(r.gflops, 50000.0);
  }
}

}  // namespace
}  // namespace vit::kernels
