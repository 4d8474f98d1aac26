// A decode whose requester stopped waiting (core/cancel.h) stops between a progressive JPEG's scans.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <string>
#include <thread>

#include "core/cancel.h"
#include "image/image_testing.h"
#include "vit/error.h"
#include "vit/image.h"

namespace vit::image {
namespace {

// A progressive JPEG whose last scan repeats `repeats` times: each repeat is a pass over every
// coefficient, so the decode takes long enough to be stopped half-way.
std::vector<uint8_t> ManyScans(int repeats) {
  const auto jpeg = testing::EncodeJpeg(512, 512, 1, testing::RandomBytes(512 * 512, 3), 90, /*progressive=*/true);
  // The last SOS segment runs from its marker to the EOI at the end.
  size_t last_sos = 0;
  for (size_t i = 2; i + 1 < jpeg.size(); ++i)
    if (jpeg[i] == 0xFF && jpeg[i + 1] == 0xDA) last_sos = i;
  std::vector<uint8_t> out(jpeg.begin(), jpeg.end() - 2);
  for (int r = 0; r < repeats; ++r) out.insert(out.end(), jpeg.begin() + static_cast<std::ptrdiff_t>(last_sos), jpeg.end() - 2);
  out.insert(out.end(), {0xFF, 0xD9});
  return out;
}

TEST(DecodeCancel, AProgressiveJpegStopsBetweenScans) {
  const auto bytes = ManyScans(450);  // under the decoder's scan limit
  auto time = [&](const std::atomic<bool>* flag) {
    const auto start = std::chrono::steady_clock::now();
    CancelScope scope(flag);
    std::string error;
    try {
      DecodeImage(bytes, "scans.jpg");
    } catch (const Error& e) {
      error = e.what();
    }
    return std::make_pair(std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count(), error);
  };
  const auto [whole, whole_error] = time(nullptr);
  EXPECT_EQ(whole_error, "");
  std::atomic<bool> flag{false};
  std::thread canceller([&] {
    std::this_thread::sleep_for(std::chrono::duration<double>(whole / 10));
    flag = true;
  });
  const auto [cut, cut_error] = time(&flag);
  canceller.join();
  EXPECT_NE(cut_error.find("cancelled"), std::string::npos) << cut_error;
  EXPECT_LT(cut, whole / 2) << "whole decode " << whole << " s";
}

}  // namespace
}  // namespace vit::image
