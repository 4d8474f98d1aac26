#include "progress.h"

#include <gtest/gtest.h>

namespace vit::tool {
namespace {

TEST(Progress, DurationsReadAsPeopleSayThem) {
  EXPECT_EQ(FormatDuration(0.4), "0 s");
  EXPECT_EQ(FormatDuration(42), "42 s");
  EXPECT_EQ(FormatDuration(185), "3 min 05 s");
  EXPECT_EQ(FormatDuration(7620), "2 h 07 min");
}

TEST(Progress, LineHasCountPercentRateAndTimeLeft) {
  EXPECT_EQ(ProgressLine(12, 40, 4.0), "12/40 (30%), 4.00 images/s, 7 s left");
  EXPECT_EQ(ProgressLine(0, 40, 0.0), "0/40 (0%)");        // no rate before the first batch has run
  EXPECT_EQ(ProgressLine(40, 40, 2.5), "40/40 (100%), 2.50 images/s");  // nothing left to estimate
}

}  // namespace
}  // namespace vit::tool
