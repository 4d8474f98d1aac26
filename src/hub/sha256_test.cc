#include "hub/sha256.h"

#include <gtest/gtest.h>

#include <string>

namespace vit::hub {
namespace {

TEST(Sha256, KnownVectors) {
  Sha256 hash;
  EXPECT_EQ(hash.HexDigest(), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  hash.Update("abc", 3);
  EXPECT_EQ(hash.HexDigest(), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

TEST(Sha256, StreamingEqualsOneShot) {
  std::string data;
  for (int i = 0; i < 100000; ++i) data += static_cast<char>(i * 31 + 7);
  Sha256 whole;
  whole.Update(data.data(), data.size());
  Sha256 pieces;
  for (size_t at = 0; at < data.size(); at += 4097) pieces.Update(data.data() + at, std::min<size_t>(4097, data.size() - at));
  EXPECT_EQ(whole.HexDigest(), pieces.HexDigest());
}

TEST(Sha256, HexShape) {
  EXPECT_TRUE(IsSha256Hex(std::string(64, 'a')));
  EXPECT_FALSE(IsSha256Hex(std::string(40, 'a')));
  EXPECT_FALSE(IsSha256Hex(std::string(64, 'A')));
}

}  // namespace
}  // namespace vit::hub
