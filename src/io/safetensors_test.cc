#include "io/safetensors.h"

#include <gtest/gtest.h>

#include <cstring>
#include <numeric>

#include "io/test_support.h"
#include "vit/error.h"

namespace vit::io {
namespace {

using testing::TempDir;

// A safetensors image from a raw header text and data area.
std::string Image(const std::string& header, const std::string& data = "") {
  uint64_t n = header.size();
  std::string out(reinterpret_cast<const char*>(&n), 8);
  return out + header + data;
}

std::vector<TensorRecord> Parse(const std::string& bytes) {
  return ParseSafetensors(std::as_bytes(std::span(bytes.data(), bytes.size())), "test.safetensors");
}

TEST(Safetensors, ParsesDTypesShapesAndOffsetsInFileOrder) {
  // Header order differs from data order on purpose: records come back in data order.
  const std::string header =
      R"({"b":{"dtype":"BF16","shape":[2],"data_offsets":[8,12]},)"
      R"("__metadata__":{"format":"pt"},)"
      R"("a":{"dtype":"F32","shape":[1,2],"data_offsets":[0,8]},)"
      R"("s":{"dtype":"I64","shape":[],"data_offsets":[12,20]},)"
      R"("z":{"dtype":"F16","shape":[0,3],"data_offsets":[20,20]}})";
  std::string data(20, '\0');
  const float a[] = {1.0f, -2.0f};
  std::memcpy(data.data(), a, 8);
  const std::string bytes = Image(header, data);
  std::vector<TensorRecord> records = Parse(bytes);
  ASSERT_EQ(records.size(), 4u);
  EXPECT_EQ(records[0].name, "a");
  EXPECT_EQ(records[1].name, "b");
  EXPECT_EQ(records[2].name, "s");
  EXPECT_EQ(records[3].name, "z");
  EXPECT_EQ(records[1].dtype, DType::kBF16);
  EXPECT_EQ(records[2].shape, std::vector<int64_t>{});
  EXPECT_EQ(records[2].nbytes, 8u);
  EXPECT_EQ(records[3].numel(), 0);
  float out[2];
  CopyAsFloat32(records[0], out);
  EXPECT_EQ(out[0], 1.0f);
  EXPECT_EQ(out[1], -2.0f);
  EXPECT_EQ(records[0].data, reinterpret_cast<const std::byte*>(bytes.data()) + 8 + header.size());
}

TEST(Safetensors, WriteThenOpenRoundTrips) {
  TempDir dir;
  std::vector<float> w(12);
  std::iota(w.begin(), w.end(), -3.0f);
  const uint16_t h[] = {0x3c00, 0xc000};  // 1, -2 in binary16
  TensorRecord r1{"encoder.layer.0.output.dense.weight", DType::kF32, {3, 4},
                  reinterpret_cast<const std::byte*>(w.data()), w.size() * 4};
  TensorRecord r2{"pooler.dense.bias", DType::kF16, {2}, reinterpret_cast<const std::byte*>(h), sizeof h};
  WriteSafetensors(dir / "m.safetensors", {r1, r2}, {{"format", "pt"}});
  EXPECT_EQ((testing::ReadFile(dir / "m.safetensors").size() - 8 - 48 - 4) % 8, 0u);  // header padded to 8

  auto source = OpenSafetensors(dir / "m.safetensors");
  EXPECT_EQ(source->path(), dir / "m.safetensors");
  EXPECT_EQ(source->file_bytes(), std::filesystem::file_size(dir / "m.safetensors"));
  ASSERT_EQ(source->tensors().size(), 2u);
  const TensorRecord* t = source->Find("encoder.layer.0.output.dense.weight");
  ASSERT_NE(t, nullptr);
  EXPECT_EQ(t->shape, (std::vector<int64_t>{3, 4}));
  std::vector<float> out(12);
  CopyAsFloat32(*t, out.data());
  EXPECT_EQ(out, w);
  source->ReleasePages();
  CopyAsFloat32(*source->Find("pooler.dense.bias"), out.data());
  EXPECT_EQ(out[0], 1.0f);
  EXPECT_EQ(out[1], -2.0f);
}

}  // namespace
}  // namespace vit::io
