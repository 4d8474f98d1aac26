#include "io/tensor_source.h"

#include <gtest/gtest.h>

#include <bit>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <stdexcept>
#include <string>
#include <vector>

#include "io/io_testing.h"
#include "io/safetensors.h"
#include "vit/error.h"

namespace vit::io {
namespace {

using testing::TempDir;

// binary16 decoded by its definition, independently of the bit-twiddling under test.
double HalfByDefinition(uint16_t h) {
  const int sign = (h >> 15) ? -1 : 1;
  const int exponent = (h >> 10) & 0x1f;
  const int mantissa = h & 0x3ff;
  if (exponent == 0) return sign * std::ldexp(mantissa, -24);
  if (exponent == 31) return mantissa ? NAN : sign * INFINITY;
  return sign * std::ldexp(1024 + mantissa, exponent - 25);
}

TensorRecord Record(DType dtype, std::vector<int64_t> shape, const void* data, size_t nbytes) {
  TensorRecord r;
  r.name = "t";
  r.dtype = dtype;
  r.shape = std::move(shape);
  r.data = static_cast<const std::byte*>(data);
  r.nbytes = nbytes;
  return r;
}

TEST(TensorSource, DTypeSizesAndNames) {
  EXPECT_EQ(DTypeSize(DType::kF64), 8u);
  EXPECT_EQ(DTypeSize(DType::kBF16), 2u);
  EXPECT_EQ(DTypeSize(DType::kBool), 1u);
  EXPECT_EQ(DTypeName(DType::kBF16), "BF16");
  EXPECT_EQ(DTypeName(DType::kBool), "BOOL");
  for (DType d : {DType::kF64, DType::kF32, DType::kF16, DType::kBF16, DType::kI64, DType::kI32, DType::kI16,
                  DType::kI8, DType::kU8, DType::kBool}) {
    EXPECT_EQ(ParseDTypeName(DTypeName(d)), d);
  }
  EXPECT_FALSE(ParseDTypeName("f32").has_value());
}

TEST(TensorSource, NumelOfScalarAndEmpty) {
  TensorRecord r;
  EXPECT_EQ(r.numel(), 1);
  r.shape = {3, 0, 5};
  EXPECT_EQ(r.numel(), 0);
  r.shape = {197, 1024};
  EXPECT_EQ(r.numel(), 197 * 1024);
}

TEST(TensorSource, EveryHalfConvertsExactly) {
  std::vector<uint16_t> halves(65536);
  for (uint32_t i = 0; i < 65536; ++i) halves[i] = static_cast<uint16_t>(i);
  std::vector<float> out(65536);
  CopyAsFloat32(Record(DType::kF16, {65536}, halves.data(), 65536 * 2), out.data());
  for (uint32_t i = 0; i < 65536; ++i) {
    double expected = HalfByDefinition(static_cast<uint16_t>(i));
    if (std::isnan(expected)) {
      EXPECT_TRUE(std::isnan(out[i])) << i;
    } else {
      ASSERT_EQ(static_cast<double>(out[i]), expected) << "half bits " << i;
      EXPECT_EQ(std::signbit(out[i]), (i >> 15) != 0) << i;
    }
  }
}

TEST(TensorSource, BFloat16AndDoubleConvert) {
  const uint16_t bf[] = {0x3f80, 0xc000, 0x0001, 0x7f80, 0x4049};  // 1, -2, tiny subnormal, inf, 3.140625
  float out[5];
  CopyAsFloat32(Record(DType::kBF16, {5}, bf, sizeof bf), out);
  EXPECT_EQ(out[0], 1.0f);
  EXPECT_EQ(out[1], -2.0f);
  EXPECT_EQ(out[2], std::bit_cast<float>(0x00010000u));
  EXPECT_TRUE(std::isinf(out[3]));
  EXPECT_EQ(out[4], 3.140625f);

  // Unaligned source: data in a file need not be aligned to the element size.
  alignas(8) unsigned char raw[1 + 2 * sizeof(double)];
  const double d[] = {0.1, -1e30};
  std::memcpy(raw + 1, d, sizeof d);
  float f[2];
  CopyAsFloat32(Record(DType::kF64, {2}, raw + 1, sizeof d), f);
  EXPECT_EQ(f[0], 0.1f);
  EXPECT_EQ(f[1], -1e30f);
}

TEST(TensorSource, IntegerTensorsAreNotFloats) {
  const int32_t ints[] = {1, 2};
  float out[2];
  try {
    CopyAsFloat32(Record(DType::kI32, {2}, ints, sizeof ints), out);
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::kUnsupported);
    EXPECT_NE(std::string(e.what()).find("I32"), std::string::npos) << e.what();
  }
  // A record whose byte count disagrees with its shape is a bug upstream, not silently read.
  EXPECT_THROW(CopyAsFloat32(Record(DType::kF32, {3}, ints, sizeof ints), out), Error);
}

TEST(TensorSource, FindsCheckpointFilesInPriorityOrder) {
  TempDir dir;
  EXPECT_TRUE(FindCheckpointFile(dir.path()).empty());
  try {
    OpenCheckpoint(dir.path());
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::kNotFound);
    const std::string msg = e.what();
    for (const char* name : {"model.safetensors", "model.safetensors.index.json", "pytorch_model.bin",
                             "pytorch_model.bin.index.json"}) {
      EXPECT_NE(msg.find(name), std::string::npos) << msg;
    }
  }
  try {
    OpenCheckpoint(dir / "missing");
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::kNotFound);
  }

  testing::WriteFile(dir / "pytorch_model.bin.index.json", "{}");
  EXPECT_EQ(FindCheckpointFile(dir.path()), dir / "pytorch_model.bin.index.json");
  testing::WriteFile(dir / "pytorch_model.bin", "");
  EXPECT_EQ(FindCheckpointFile(dir.path()), dir / "pytorch_model.bin");
  testing::WriteFile(dir / "model.safetensors.index.json", "{}");
  EXPECT_EQ(FindCheckpointFile(dir.path()), dir / "model.safetensors.index.json");

  const float w[] = {1.5f, -2.0f};
  TensorRecord r = Record(DType::kF32, {2}, w, sizeof w);
  r.name = "layernorm.weight";
  WriteSafetensors(dir / "model.safetensors", {r});
  EXPECT_EQ(FindCheckpointFile(dir.path()), dir / "model.safetensors");
  auto source = OpenCheckpoint(dir.path());
  ASSERT_NE(source->Find("layernorm.weight"), nullptr);
  EXPECT_EQ(source->Find("layernorm.bias"), nullptr);
  float out[2];
  CopyAsFloat32(*source->Find("layernorm.weight"), out);
  EXPECT_EQ(out[0], 1.5f);
  EXPECT_EQ(out[1], -2.0f);
  // A weights file can be named directly too.
  EXPECT_EQ(OpenCheckpoint(dir / "model.safetensors")->tensors().size(), 1u);
}

// F32 tensors of `n` floats each, named and filled from `first`.
struct Floats {
  Floats(const std::string& name, int n, float first) : values(static_cast<size_t>(n)) {
    for (int i = 0; i < n; ++i) values[static_cast<size_t>(i)] = first + static_cast<float>(i);
    record = Record(DType::kF32, {n}, values.data(), values.size() * sizeof(float));
    record.name = name;
  }
  std::vector<float> values;
  TensorRecord record;
};

std::vector<float> Read(const TensorSource& source, const std::string& name) {
  const TensorRecord* r = source.Find(name);
  if (r == nullptr) throw std::runtime_error("no tensor " + name);
  std::vector<float> out(static_cast<size_t>(r->numel()));
  ReadAsFloat32(source, *r, out.data());
  return out;
}

std::string CopyError(const TensorSource& source, const std::string& name) {
  std::vector<std::byte> out(source.Find(name)->nbytes);
  try {
    source.CopyBytes(*source.Find(name), out.data());
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::kIo) << e.what();
    return e.what();
  }
  return "read without error";
}

// Reads go to the file (pread), not through the mapping: a file cut short after it was opened is an
// error naming it, not a SIGBUS; and a sharded checkpoint reads each tensor from its own shard.
TEST(TensorSource, ReadsF32FromTheFileOfEachTensor) {
  TempDir dir;
  const Floats a("a", 3000, 1.f), b("b", 5, -7.f), c("c", 2000, 100.f);
  WriteSafetensors(dir / "model-1.safetensors", {a.record, b.record});
  WriteSafetensors(dir / "model-2.safetensors", {c.record});
  testing::WriteFile(dir / "model.safetensors.index.json",
                     R"({"weight_map": {"a": "model-1.safetensors", "b": "model-1.safetensors",
                                        "c": "model-2.safetensors"}})");
  auto sharded = OpenCheckpoint(dir.path());
  EXPECT_EQ(Read(*sharded, "a"), a.values);
  EXPECT_EQ(Read(*sharded, "b"), b.values);
  EXPECT_EQ(Read(*sharded, "c"), c.values);

  std::filesystem::copy_file(dir / "model-2.safetensors", dir / "single.safetensors");
  auto single = OpenSafetensors(dir / "single.safetensors");
  EXPECT_EQ(Read(*single, "c"), c.values);

  std::filesystem::resize_file(dir / "model-2.safetensors", 200);
  std::filesystem::resize_file(dir / "single.safetensors", 200);
  EXPECT_NE(CopyError(*single, "c").find("shorter than when it was opened"), std::string::npos);
  const std::string sharded_error = CopyError(*sharded, "c");
  EXPECT_NE(sharded_error.find("model-2.safetensors"), std::string::npos) << sharded_error;
  EXPECT_EQ(Read(*sharded, "a"), a.values);  // the other shard is whole
}

}  // namespace
}  // namespace vit::io
