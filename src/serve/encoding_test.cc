#include "serve/encoding.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <limits>
#include <random>
#include <sstream>

#include "vit/error.h"

namespace vit::serve {
namespace {

std::vector<uint8_t> Bytes(std::string_view s) { return {s.begin(), s.end()}; }

TEST(Base64, Rfc4648Vectors) {
  const std::pair<const char*, const char*> vectors[] = {{"", ""},         {"f", "Zg=="},         {"fo", "Zm8="},
                                                         {"foo", "Zm9v"},  {"foob", "Zm9vYg=="},  {"fooba", "Zm9vYmE="},
                                                         {"foobar", "Zm9vYmFy"}};
  for (const auto& [plain, encoded] : vectors) {
    EXPECT_EQ(Base64Encode(Bytes(plain)), encoded);
    if (*plain) {
      EXPECT_EQ(Base64Decode(encoded, "x"), Bytes(plain)) << encoded;
    }
  }
}

TEST(Base64, RoundTripsEveryByteAndLength) {
  std::mt19937 rng(1);
  for (size_t n = 1; n < 70; ++n) {
    std::vector<uint8_t> data(n);
    for (auto& b : data) b = static_cast<uint8_t>(rng());
    EXPECT_EQ(Base64Decode(Base64Encode(data), "x"), data);
  }
}

TEST(Base64, AcceptsUrlSafeAlphabetMissingPaddingAndLineBreaks) {
  const std::vector<uint8_t> data = {0xfb, 0xff, 0xfe};
  EXPECT_EQ(Base64Encode(data), "+//+");
  EXPECT_EQ(Base64Decode("-__-", "x"), data);
  EXPECT_EQ(Base64Decode("Zm9vYg", "x"), Bytes("foob"));
  EXPECT_EQ(Base64Decode("Zm9v\r\nYmFy\n", "x"), Bytes("foobar"));
}

TEST(Base64, RejectsWithTheNameAndOffset) {
  try {
    Base64Decode("Zm9v!mFy", "inputs[3]");
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::kInvalidArgument);
    EXPECT_NE(std::string(e.what()).find("inputs[3]"), std::string::npos);
    EXPECT_NE(std::string(e.what()).find("offset 4"), std::string::npos);
  }
  EXPECT_THROW(Base64Decode("", "x"), Error);
  EXPECT_THROW(Base64Decode("Zm9vY", "x"), Error);    // 5 symbols: truncated
  EXPECT_THROW(Base64Decode("Zg==Zg==", "x"), Error);  // data after padding
  EXPECT_THROW(Base64Decode("Zg=", "x"), Error);       // wrong padding
  EXPECT_THROW(Base64Decode(std::string_view("Zm\0v", 4), "x"), Error);
}

TEST(DecodeImageString, DataUrlsAndBareBase64) {
  EXPECT_EQ(DecodeImageString("data:image/png;base64,Zm9v", "x"), Bytes("foo"));
  EXPECT_EQ(DecodeImageString("data:;base64,Zm9v", "x"), Bytes("foo"));
  EXPECT_EQ(DecodeImageString("Zm9v", "x"), Bytes("foo"));
  EXPECT_THROW(DecodeImageString("data:image/png,%89PNG", "x"), Error);
  EXPECT_THROW(DecodeImageString("data:image/png;base64", "x"), Error);
  EXPECT_THROW(DecodeImageString("https://example.com/cat.jpg", "x"), Error);
}

TEST(JsonFloats, ReadBackToTheSameBits) {
  std::mt19937 rng(2);
  std::vector<float> values = {0.0f, -0.0f, 1.0f, 0.1f, 1e-30f, 3.4028235e38f, std::numeric_limits<float>::denorm_min()};
  for (int i = 0; i < 1000; ++i) {
    uint32_t bits = static_cast<uint32_t>(rng());
    float f;
    std::memcpy(&f, &bits, 4);
    if (std::isfinite(f)) values.push_back(f);
  }
  std::string text;
  AppendJsonFloats(text, values);
  ASSERT_EQ(text.front(), '[');
  ASSERT_EQ(text.back(), ']');
  std::stringstream in(text.substr(1, text.size() - 2));
  std::string item;
  size_t i = 0;
  while (std::getline(in, item, ',')) {
    // Python's json reads a double, numpy rounds it to float32: do the same.
    const float back = static_cast<float>(std::strtod(item.c_str(), nullptr));
    ASSERT_LT(i, values.size());
    EXPECT_EQ(std::memcmp(&back, &values[i], 4), 0) << item;
    ++i;
  }
  EXPECT_EQ(i, values.size());
}

TEST(JsonFloats, NonFiniteBecomeNull) {
  std::string text;
  AppendJsonFloats(text, std::vector<float>{1.5f, NAN, INFINITY});
  EXPECT_EQ(text, "[1.5,null,null]");
  text.clear();
  AppendJsonFloats(text, std::vector<float>{});
  EXPECT_EQ(text, "[]");
}

}  // namespace
}  // namespace vit::serve
