#include "image/resample.h"

#include <gtest/gtest.h>

#include <array>
#include <cmath>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "image/image_testing.h"
#include "image/streaming_resize.h"
#include "vit/error.h"

namespace vit::image {
namespace {

constexpr Resample kConvolutions[] = {Resample::kLanczos, Resample::kBilinear, Resample::kBicubic, Resample::kBox,
                                      Resample::kHamming};
constexpr Resample kAll[] = {Resample::kNearest, Resample::kLanczos, Resample::kBilinear,
                             Resample::kBicubic, Resample::kBox,     Resample::kHamming};

std::vector<uint8_t> Resize(const std::vector<uint8_t>& src, int sw, int sh, int dw, int dh, Resample f) {
  std::vector<uint8_t> out(static_cast<size_t>(dw) * dh * 3);
  ResizeRgb(src.data(), sw, sh, out.data(), dw, dh, f);
  return out;
}

// Pillow's algorithm written the plain way (one pixel, one channel, one tap at a time), from the same
// weights: what the vectorised, transposed, streamed passes must reproduce byte for byte.
std::vector<uint8_t> PlainPillowResize(const std::vector<uint8_t>& src, int sw, int sh, int dw, int dh, Resample f) {
  if (sw == dw && sh == dh) return src;
  std::vector<uint8_t> out(static_cast<size_t>(dw) * dh * 3, 0);
  auto clip = [](int32_t s) {
    const int32_t v = s >> 22;
    return static_cast<uint8_t>(v < 0 ? 0 : v > 255 ? 255 : v);
  };
  if (f == Resample::kNearest) {
    const double ax = static_cast<double>(static_cast<float>(sw)) / dw;
    const double ay = static_cast<double>(static_cast<float>(sh)) / dh;
    double yo = ay * 0.5;
    for (int y = 0; y < dh; ++y, yo += ay) {
      double xo = ax * 0.5;
      for (int x = 0; x < dw; ++x, xo += ax) {
        const int xi = static_cast<int>(xo), yi = static_cast<int>(yo);
        if (xi >= sw || yi >= sh) continue;
        for (int c = 0; c < 3; ++c) out[(static_cast<size_t>(y) * dw + x) * 3 + c] = src[(static_cast<size_t>(yi) * sw + xi) * 3 + c];
      }
    }
    return out;
  }
  const FilterTaps v = ComputeFilterTaps(sh, 0.0f, static_cast<float>(sh), dh, f);
  std::vector<uint8_t> mid = src;
  int mw = sw;
  if (dw != sw) {
    const FilterTaps h = ComputeFilterTaps(sw, 0.0f, static_cast<float>(sw), dw, f);
    mid.assign(static_cast<size_t>(dw) * sh * 3, 0);
    for (int y = 0; y < sh; ++y) {
      for (int x = 0; x < dw; ++x) {
        for (int c = 0; c < 3; ++c) {
          int32_t s = 1 << 21;
          for (int t = 0; t < h.count[x]; ++t) {
            s += src[(static_cast<size_t>(y) * sw + h.first[x] + t) * 3 + c] * h.weights[static_cast<size_t>(x) * h.ksize + t];
          }
          mid[(static_cast<size_t>(y) * dw + x) * 3 + c] = clip(s);
        }
      }
    }
    mw = dw;
  }
  if (dh == sh) return mid;
  for (int y = 0; y < dh; ++y) {
    for (int x = 0; x < mw; ++x) {
      for (int c = 0; c < 3; ++c) {
        int32_t s = 1 << 21;
        for (int t = 0; t < v.count[y]; ++t) {
          s += mid[(static_cast<size_t>(v.first[y] + t) * mw + x) * 3 + c] * v.weights[static_cast<size_t>(y) * v.ksize + t];
        }
        out[(static_cast<size_t>(y) * mw + x) * 3 + c] = clip(s);
      }
    }
  }
  return out;
}

TEST(ResampleTest, EqualSizeIsACopyForEveryFilter) {
  const auto src = testing::RandomBytes(5 * 4 * 3, 1);
  for (const Resample f : kAll) EXPECT_EQ(Resize(src, 5, 4, 5, 4, f), src) << ResampleName(f);
}

TEST(ResampleTest, BoxHalvesByAveragingPairsRoundingHalfUp) {
  // BOX 4 -> 2: weights 1/2, 1/2; (a + b) / 2 rounded half up by the 2^21 bias.
  const std::vector<uint8_t> src = {0, 0, 0, 100, 100, 100, 200, 200, 200, 255, 255, 255};
  EXPECT_EQ(Resize(src, 4, 1, 2, 1, Resample::kBox), (std::vector<uint8_t>{50, 50, 50, 228, 228, 228}));
}

TEST(ResampleTest, BilinearWeightsForAHalvingMatchPillowsFormula) {
  // 4 -> 2, support 2: output 0 centred at 1.0 reads inputs 0..2 with triangle weights 0.75, 0.75, 0.25.
  const FilterTaps taps = ComputeFilterTaps(4, 0.0f, 4.0f, 2, Resample::kBilinear);
  EXPECT_EQ(taps.ksize, 5);
  ASSERT_EQ(taps.first.size(), 2u);
  EXPECT_EQ(taps.first[0], 0);
  EXPECT_EQ(taps.count[0], 3);
  const double one = 1 << 22;
  EXPECT_EQ(taps.weights[0], static_cast<int32_t>(0.5 + 0.75 / 1.75 * one));
  EXPECT_EQ(taps.weights[1], static_cast<int32_t>(0.5 + 0.75 / 1.75 * one));
  EXPECT_EQ(taps.weights[2], static_cast<int32_t>(0.5 + 0.25 / 1.75 * one));
  EXPECT_EQ(taps.weights[3], 0);  // past count
  EXPECT_EQ(taps.first[1], 1);
  EXPECT_EQ(taps.count[1], 3);
}

TEST(ResampleTest, NegativeLobesRoundAwayFromZero) {
  // Lanczos upscaling has negative weights; Pillow rounds them with -0.5.
  const FilterTaps taps = ComputeFilterTaps(10, 0.0f, 10.0f, 23, Resample::kLanczos);
  bool saw_negative = false;
  for (size_t x = 0; x < taps.first.size(); ++x) {
    int64_t sum = 0;
    for (int t = 0; t < taps.count[x]; ++t) {
      const int32_t w = taps.weights[x * taps.ksize + static_cast<size_t>(t)];
      saw_negative |= w < 0;
      sum += w;
    }
    EXPECT_NEAR(static_cast<double>(sum), 1 << 22, 8) << "output " << x;
  }
  EXPECT_TRUE(saw_negative);
}

TEST(ResampleTest, NearestPicksPillowsSourcePixels) {
  // 4 -> 2: positions 1.0 and 3.0; 2 -> 4: 0.25, 0.75, 1.25, 1.75 truncate to 0, 0, 1, 1.
  const std::vector<uint8_t> four = {1, 1, 1, 2, 2, 2, 3, 3, 3, 4, 4, 4};
  EXPECT_EQ(Resize(four, 4, 1, 2, 1, Resample::kNearest), (std::vector<uint8_t>{2, 2, 2, 4, 4, 4}));
  const std::vector<uint8_t> two = {7, 7, 7, 9, 9, 9};
  EXPECT_EQ(Resize(two, 2, 1, 4, 1, Resample::kNearest), (std::vector<uint8_t>{7, 7, 7, 7, 7, 7, 9, 9, 9, 9, 9, 9}));
}

TEST(ResampleTest, OnePixelGrowsIntoACopyOfItself) {
  const std::vector<uint8_t> px = {12, 34, 56};
  for (const Resample f : kAll) {
    const auto out = Resize(px, 1, 1, 3, 5, f);
    for (size_t i = 0; i < out.size(); i += 3) {
      EXPECT_EQ(out[i], 12) << ResampleName(f);
      EXPECT_EQ(out[i + 1], 34) << ResampleName(f);
      EXPECT_EQ(out[i + 2], 56) << ResampleName(f);
    }
  }
}

TEST(ResampleTest, ConstantPicturesStayConstant) {
  for (const Resample f : kConvolutions) {
    for (const auto& [sw, sh, dw, dh] : {std::array{37, 11, 224, 224}, std::array{300, 200, 7, 3},
                                         std::array{1, 700, 224, 224}, std::array{700, 1, 5, 9}}) {
      std::vector<uint8_t> src(static_cast<size_t>(sw) * sh * 3);
      for (size_t i = 0; i < src.size(); i += 3) {
        src[i] = 0;
        src[i + 1] = 128;
        src[i + 2] = 255;
      }
      const auto out = Resize(src, sw, sh, dw, dh, f);
      for (size_t i = 0; i < out.size(); i += 3) {
        ASSERT_EQ(out[i], 0) << ResampleName(f);
        ASSERT_EQ(out[i + 1], 128) << ResampleName(f);
        ASSERT_EQ(out[i + 2], 255) << ResampleName(f);
      }
    }
  }
}

TEST(ResampleTest, VectorisedPassesEqualThePlainAlgorithm) {
  // Widths and heights around the 16-row groups and 16-byte transpose blocks, up and down.
  const int sizes[] = {1, 2, 3, 5, 7, 8, 9, 15, 16, 17, 31, 40};
  uint32_t seed = 7;
  for (const Resample f : kAll) {
    for (const int sw : sizes) {
      for (const int sh : {1, 6, 8, 13, 16, 17, 40}) {
        for (const auto& [dw, dh] : {std::pair{3, 7}, std::pair{16, 9}, std::pair{sw, 5}, std::pair{11, sh}}) {
          const auto src = testing::RandomBytes(static_cast<size_t>(sw) * sh * 3, ++seed);
          ASSERT_EQ(Resize(src, sw, sh, dw, dh, f), PlainPillowResize(src, sw, sh, dw, dh, f))
              << ResampleName(f) << " " << sw << "x" << sh << " -> " << dw << "x" << dh;
        }
      }
    }
  }
}

TEST(ResampleTest, StreamingInAnyBandsGivesTheSameBytes) {
  const int sw = 53, sh = 47, dw = 29, dh = 31;
  const auto src = testing::RandomBytes(static_cast<size_t>(sw) * sh * 3, 99);
  for (const Resample f : kAll) {
    const auto whole = Resize(src, sw, sh, dw, dh, f);
    for (const int band : {1, 3, 7, 8, 13, 16, 20, 47}) {
      StreamingResizer resizer(sw, sh, dw, dh, f);
      for (int y = 0; y < sh; y += band) {
        resizer.Rows(y, std::min(band, sh - y), src.data() + static_cast<size_t>(y) * sw * 3, static_cast<size_t>(sw) * 3);
      }
      std::vector<uint8_t> out(whole.size());
      resizer.Finish(out.data());
      EXPECT_EQ(out, whole) << ResampleName(f) << " band " << band;

      ResizeSink sink(dw, dh, f);
      sink.Begin(sw, sh, 1);
      for (int y = 0; y < sh; y += band) {
        const int n = std::min(band, sh - y);
        size_t stride = 0;
        uint8_t* direct = sink.DirectRows(y, n, stride);
        // Half the bands written in place (when they fit), half handed over from elsewhere.
        const uint8_t* rows = src.data() + static_cast<size_t>(y) * sw * 3;
        if ((y / band) % 2 == 0 && n <= sink.MaxDirectRows()) {
          for (int i = 0; i < n; ++i) std::memcpy(direct + i * stride, rows + static_cast<size_t>(i) * sw * 3, static_cast<size_t>(sw) * 3);
          sink.Rows(y, n, direct, stride);
        } else {
          sink.Rows(y, n, rows, static_cast<size_t>(sw) * 3);
        }
      }
      std::fill(out.begin(), out.end(), 0);
      sink.Finish(out.data());
      EXPECT_EQ(out, whole) << ResampleName(f) << " sink band " << band;
    }
  }
}

TEST(ResampleTest, RejectsEmptySizes) {
  const std::vector<uint8_t> px = {1, 2, 3};
  std::vector<uint8_t> out(3);
  EXPECT_THROW(ResizeRgb(px.data(), 1, 1, out.data(), 0, 1, Resample::kBilinear), Error);
  EXPECT_THROW(ResizeRgb(px.data(), 0, 1, out.data(), 1, 1, Resample::kNearest), Error);
}

TEST(ResampleTest, NamesAndValidValues) {
  EXPECT_EQ(ResampleName(Resample::kBicubic), "BICUBIC");
  EXPECT_TRUE(IsValidResample(0));
  EXPECT_TRUE(IsValidResample(5));
  EXPECT_FALSE(IsValidResample(6));
  EXPECT_FALSE(IsValidResample(-1));
}

}  // namespace
}  // namespace vit::image
