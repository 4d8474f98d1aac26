#include <gtest/gtest.h>

#include <cstdint>
#include <string>
#include <vector>

#include "image/image_testing.h"
#include "vit/error.h"
#include "vit/image.h"

namespace vit {
namespace {

void Append32(std::vector<uint8_t>& v, uint32_t x) {
  for (int shift = 24; shift >= 0; shift -= 8) v.push_back(static_cast<uint8_t>(x >> shift));
}

// An ICNS file of the given blocks (4-character type, data).
std::vector<uint8_t> Icns(const std::vector<std::pair<std::string, std::vector<uint8_t>>>& blocks) {
  std::vector<uint8_t> body;
  for (const auto& [type, data] : blocks) {
    body.insert(body.end(), type.begin(), type.end());
    Append32(body, static_cast<uint32_t>(data.size() + 8));
    body.insert(body.end(), data.begin(), data.end());
  }
  std::vector<uint8_t> v = {'i', 'c', 'n', 's'};
  Append32(v, static_cast<uint32_t>(body.size() + 8));
  v.insert(v.end(), body.begin(), body.end());
  return v;
}

// One 16x16 channel: a run of 130 (0xFF), another of 126 (0xFB).
std::vector<uint8_t> Channel(uint8_t a, uint8_t b) { return {0xFF, a, 0xFB, b}; }

TEST(DecodeIcnsTest, RunsOfEachChannelAndTheLargestIconWins) {
  std::vector<uint8_t> runs = Channel(10, 20);
  for (const auto& c : {Channel(30, 40), Channel(50, 60)}) runs.insert(runs.end(), c.begin(), c.end());
  // A 16x16 "is32" icon; an unknown "ICN#" block and a mask are read past.
  const Image image = DecodeImage(Icns({{"ICN#", std::vector<uint8_t>(8)}, {"is32", runs},
                                        {"s8mk", std::vector<uint8_t>(256, 7)}}),
                                  "t.icns");
  ASSERT_EQ(image.width, 16);
  ASSERT_EQ(image.height, 16);
  EXPECT_EQ(std::vector<uint8_t>(image.rgb.begin(), image.rgb.begin() + 3), (std::vector<uint8_t>{10, 30, 50}));
  EXPECT_EQ(std::vector<uint8_t>(image.rgb.end() - 3, image.rgb.end()), (std::vector<uint8_t>{20, 40, 60}));
}

TEST(DecodeIcnsTest, WhatPillowRefusesIsRefusedNamingTheFile) {
  const auto refusal = [](const std::vector<uint8_t>& bytes) {
    return image::testing::DecodeRefusal(bytes, "t.icns");
  };
  const std::vector<uint8_t> overshoot = {0xFF, 1, 0xFF, 2};  // 260 bytes for a 256-byte channel
  EXPECT_NE(refusal(Icns({{"is32", overshoot}})).find("t.icns: ICNS 'is32' icon: channel 0 runs past"),
            std::string::npos);
  EXPECT_NE(refusal(Icns({{"is32", Channel(1, 2)}})).find("runs short of"), std::string::npos);
  EXPECT_NE(refusal(Icns({{"ICN#", {}}})).find("No 32bit icon"), std::string::npos);
  EXPECT_NE(refusal(Icns({{"it32", {1, 0, 0, 0}}})).find("4 zero bytes"), std::string::npos);
  EXPECT_NE(refusal(Icns({{"ic08", {'G', 'I', 'F'}}})).find("neither PNG nor JPEG 2000"), std::string::npos);
}

}  // namespace
}  // namespace vit
