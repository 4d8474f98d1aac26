#include "io/safetensors.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <numeric>

#include "io/io_testing.h"
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
  source->ReleaseTensor(*t);
  CopyAsFloat32(*t, out.data());
  EXPECT_EQ(out, w);
  source->ReleasePages();
  CopyAsFloat32(*source->Find("pooler.dense.bias"), out.data());
  EXPECT_EQ(out[0], 1.0f);
  EXPECT_EQ(out[1], -2.0f);
}

// Parses `bytes` and returns the vit::Error it must raise.
Error ParseError(const std::string& bytes) {
  try {
    Parse(bytes);
  } catch (const Error& e) {
    return e;
  }
  ADD_FAILURE() << "parsed without error";
  return Error("");
}

void ExpectRejected(const std::string& bytes, const std::string& text,
                    ErrorKind kind = ErrorKind::kInvalidInput) {
  Error e = ParseError(bytes);
  const std::string msg = e.what();
  EXPECT_NE(msg.find(text), std::string::npos) << "message: " << msg;
  EXPECT_NE(msg.find("test.safetensors"), std::string::npos) << "message names no file: " << msg;
  EXPECT_EQ(e.kind(), kind) << msg;
}

std::string OneTensor(const std::string& info, size_t data_bytes) {
  return Image(R"({"t":)" + info + "}", std::string(data_bytes, '\0'));
}

TEST(SafetensorsHostile, TooShortOrHeaderPastTheEnd) {
  ExpectRejected("", "too short");
  ExpectRejected("\x05\0\0", "too short");
  std::string bytes = Image("{}");
  bytes[0] = 3;  // header length 3 in a 10-byte file
  bytes[1] = 1;  // 259
  ExpectRejected(bytes, "runs past the end");
  std::string huge(8, '\xff');
  ExpectRejected(huge + "{}", "limit");
  uint64_t just_over = kSafetensorsMaxHeaderBytes + 1;
  ExpectRejected(std::string(reinterpret_cast<const char*>(&just_over), 8) + "{}", "limit");
}

TEST(SafetensorsHostile, HeaderThatIsNotJsonOrNotUtf8) {
  ExpectRejected(Image("not json"), "does not start with '{'");
  ExpectRejected(Image("[1,2]"), "does not start with '{'");
  ExpectRejected(Image("{\"t\": {\"dtype\": \"F32\",}"), "invalid JSON");
  ExpectRejected(Image("{} trailing"), "invalid JSON");
  ExpectRejected(Image("{\"caf\xe9\": 1}"), "invalid JSON");  // Latin-1 byte, not UTF-8
  ExpectRejected(Image("{\"a\": \"\xc0\xaf\"}"), "invalid JSON");  // overlong UTF-8 encoding of '/'
  ExpectRejected(Image(std::string("{\"a\0b\": 1}", 10)), "invalid JSON");
  ExpectRejected(Image("{\"a\":" + std::string(100, '[') + std::string(100, ']') + "}"), "nested deeper");
}

TEST(SafetensorsHostile, EntriesThatAreNotTensorObjects) {
  ExpectRejected(Image(R"({"t": 5})"), "expected an object");
  ExpectRejected(Image(R"({"t": ["F32", [1], [0, 4]]})", std::string(4, '\0')), "expected an object");
  ExpectRejected(Image(R"({"t": null})"), "expected an object");
  ExpectRejected(OneTensor(R"({"shape":[1],"data_offsets":[0,4]})", 4), "no \"dtype\"");
  ExpectRejected(OneTensor(R"({"dtype":"F32","data_offsets":[0,4]})", 4), "no \"shape\"");
  ExpectRejected(OneTensor(R"({"dtype":"F32","shape":[1]})", 4), "no \"data_offsets\"");
  ExpectRejected(OneTensor(R"({"dtype":32,"shape":[1],"data_offsets":[0,4]})", 4), "expected a string");
  ExpectRejected(OneTensor(R"({"dtype":"F32","shape":"1","data_offsets":[0,4]})", 4), "expected an array");
  ExpectRejected(OneTensor(R"({"dtype":"F32","shape":[1.0],"data_offsets":[0,4]})", 4), "non-negative integer");
  ExpectRejected(OneTensor(R"({"dtype":"F32","shape":[1],"data_offsets":[0]})", 4), "[begin, end]");
  ExpectRejected(OneTensor(R"({"dtype":"F32","shape":[1],"data_offsets":[0,4,8]})", 4), "[begin, end]");
  ExpectRejected(OneTensor(R"({"dtype":"F32","shape":[1],"data_offsets":["0","4"]})", 4), "non-negative integer");
  ExpectRejected(Image(R"({"__metadata__": ["format", "pt"]})"), "__metadata__");
}

TEST(SafetensorsHostile, DTypes) {
  ExpectRejected(OneTensor(R"({"dtype":"F99","shape":[1],"data_offsets":[0,4]})", 4), "\"F99\" is not supported");
  ExpectRejected(OneTensor(R"({"dtype":"f32","shape":[1],"data_offsets":[0,4]})", 4), "\"f32\" is not supported");
  ExpectRejected(OneTensor(R"({"dtype":"F8_E4M3","shape":[4],"data_offsets":[0,4]})", 4), "F8_E4M3",
                 ErrorKind::kUnsupported);
}

TEST(SafetensorsHostile, Shapes) {
  ExpectRejected(OneTensor(R"({"dtype":"F32","shape":[-1],"data_offsets":[0,4]})", 4), "negative");
  ExpectRejected(OneTensor(R"({"dtype":"F32","shape":[2,-2],"data_offsets":[0,16]})", 16), "shape[1]");
  ExpectRejected(OneTensor(R"({"dtype":"F32","shape":[4294967296,4294967296,4],"data_offsets":[0,4]})", 4),
                 "63 bits");
  ExpectRejected(OneTensor(R"({"dtype":"F32","shape":[18446744073709551615],"data_offsets":[0,4]})", 4), "63 bits");
  ExpectRejected(OneTensor(R"({"dtype":"F32","shape":[1e30],"data_offsets":[0,4]})", 4), "non-negative integer");
  // Elements fit in 63 bits, bytes do not.
  ExpectRejected(OneTensor(R"({"dtype":"F64","shape":[2305843009213693952,2],"data_offsets":[0,4]})", 4),
                 "larger than any file");
  // Zero dims make an overflowing product harmless, but only if nothing overflowed before them.
  EXPECT_EQ(Parse(OneTensor(R"({"dtype":"F32","shape":[0,4294967296],"data_offsets":[0,0]})", 0))[0].numel(), 0);
}

TEST(SafetensorsHostile, ByteSizeMustMatchShapeTimesDType) {
  ExpectRejected(OneTensor(R"({"dtype":"F32","shape":[3],"data_offsets":[0,8]})", 8), "needs 12");
  ExpectRejected(OneTensor(R"({"dtype":"BF16","shape":[2,2],"data_offsets":[0,16]})", 16), "needs 8");
  ExpectRejected(OneTensor(R"({"dtype":"F32","shape":[],"data_offsets":[0,0]})", 0), "needs 4");
}

TEST(SafetensorsHostile, OffsetsMustTileTheDataAreaExactly) {
  const std::string a = R"("a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]})";
  // Overlap.
  ExpectRejected(Image("{" + a + R"(,"b":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}})", std::string(12, 0)),
                 "overlaps tensor \"a\"");
  // Two tensors on the same bytes.
  ExpectRejected(Image("{" + a + R"(,"b":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}})", std::string(8, 0)),
                 "overlaps");
  // Gap between tensors.
  ExpectRejected(Image("{" + a + R"(,"b":{"dtype":"F32","shape":[2],"data_offsets":[12,20]}})", std::string(20, 0)),
                 "gap");
  // Gap at the start.
  ExpectRejected(OneTensor(R"({"dtype":"F32","shape":[1],"data_offsets":[4,8]})", 8), "start of the data area");
  // Reversed offsets.
  ExpectRejected(OneTensor(R"({"dtype":"F32","shape":[2],"data_offsets":[8,0]})", 8), "end before they begin");
  // Past the end of the file.
  ExpectRejected(OneTensor(R"({"dtype":"F32","shape":[2],"data_offsets":[0,8]})", 4), "past the 4-byte data area");
  ExpectRejected(OneTensor(R"({"dtype":"U8","shape":[18446744073709551615],"data_offsets":[0,18446744073709551615]})", 4),
                 "63 bits");
  // Bytes that belong to no tensor.
  ExpectRejected(OneTensor(R"({"dtype":"F32","shape":[2],"data_offsets":[0,8]})", 9), "belongs to no tensor");
  ExpectRejected(Image("{}", "x"), "belongs to no tensor");
  // Order in the header does not matter, order of offsets does not need to follow it.
  EXPECT_EQ(Parse(Image(R"({"b":{"dtype":"F32","shape":[1],"data_offsets":[8,12]},)" + a + "}", std::string(12, 0)))
                .size(),
            2u);
  EXPECT_TRUE(Parse(Image("{}")).empty());
  EXPECT_EQ(Parse(Image("{" + a + "}       ", std::string(8, 0))).size(), 1u);  // space padding
}

TEST(SafetensorsHostile, DuplicateKeys) {
  const std::string t = R"({"dtype":"F32","shape":[1],"data_offsets":[0,4]})";
  ExpectRejected(Image(R"({"t":)" + t + R"(,"t":)" + t + "}", std::string(4, 0)), "duplicate JSON key \"t\"");
  ExpectRejected(OneTensor(R"({"dtype":"F32","dtype":"F16","shape":[1],"data_offsets":[0,4]})", 4),
                 "duplicate JSON key \"dtype\"");
  ExpectRejected(Image(R"({"__metadata__":{"a":"1","a":"2"}})"), "duplicate");
  // Same key in sibling objects is fine.
  EXPECT_EQ(Parse(Image(R"({"__metadata__":{"shape":"x"},"t":)" + t + "}", std::string(4, 0))).size(), 1u);
}

TEST(SafetensorsHostile, RandomCorruptionNeverCrashes) {
  TempDir dir;
  std::vector<float> w(40, 0.5f);
  TensorRecord a{"a", DType::kF32, {4, 10}, reinterpret_cast<const std::byte*>(w.data()), 160};
  TensorRecord b{"b.weight", DType::kBF16, {2, 3}, reinterpret_cast<const std::byte*>(w.data()), 12};
  WriteSafetensors(dir / "ok.safetensors", {a, b});
  const std::string good = testing::ReadFile(dir / "ok.safetensors");
  ASSERT_EQ(Parse(good).size(), 2u);
  uint32_t state = 12345;
  auto next = [&] { return state = state * 1664525u + 1013904223u; };
  int rejected = 0;
  for (int trial = 0; trial < 3000; ++trial) {
    std::string bytes = good;
    const int edits = 1 + static_cast<int>(next() % 4);
    for (int i = 0; i < edits; ++i) {
      const size_t pos = next() % bytes.size();
      switch (next() % 3) {
        case 0: bytes[pos] = static_cast<char>(next()); break;
        case 1: bytes.resize(pos); break;
        default: bytes.insert(pos, 1, static_cast<char>("0123456789[]{},:\"-"[next() % 18])); break;
      }
      if (bytes.empty()) break;
    }
    try {
      for (const TensorRecord& r : Parse(bytes)) {
        // Whatever parses must lie inside the buffer.
        const auto* begin = reinterpret_cast<const std::byte*>(bytes.data());
        ASSERT_GE(r.data, begin);
        ASSERT_LE(r.data + r.nbytes, begin + bytes.size());
      }
    } catch (const Error&) {
      ++rejected;
    }
  }
  EXPECT_GT(rejected, 1000);
}

// The names and shapes of a Hugging Face ViTModel state dict (tiny sizes, two layers).
std::vector<std::pair<std::string, std::vector<int64_t>>> VitLayout(int64_t hidden, int64_t layers) {
  const int64_t patch = 4, tokens = 5, intermediate = 4 * hidden;
  std::vector<std::pair<std::string, std::vector<int64_t>>> out = {
      {"embeddings.cls_token", {1, 1, hidden}},
      {"embeddings.position_embeddings", {1, tokens, hidden}},
      {"embeddings.patch_embeddings.projection.weight", {hidden, 3, patch, patch}},
      {"embeddings.patch_embeddings.projection.bias", {hidden}},
  };
  for (int64_t i = 0; i < layers; ++i) {
    const std::string p = "encoder.layer." + std::to_string(i) + ".";
    for (const char* m : {"attention.attention.query", "attention.attention.key", "attention.attention.value",
                          "attention.output.dense"}) {
      out.push_back({p + m + ".weight", {hidden, hidden}});
      out.push_back({p + m + ".bias", {hidden}});
    }
    out.push_back({p + "intermediate.dense.weight", {intermediate, hidden}});
    out.push_back({p + "intermediate.dense.bias", {intermediate}});
    out.push_back({p + "output.dense.weight", {hidden, intermediate}});
    out.push_back({p + "output.dense.bias", {hidden}});
    for (const char* ln : {"layernorm_before", "layernorm_after"}) {
      out.push_back({p + ln + ".weight", {hidden}});
      out.push_back({p + ln + ".bias", {hidden}});
    }
  }
  out.push_back({"layernorm.weight", {hidden}});
  out.push_back({"layernorm.bias", {hidden}});
  out.push_back({"pooler.dense.weight", {hidden, hidden}});
  out.push_back({"pooler.dense.bias", {hidden}});
  return out;
}

TEST(Safetensors, VitShapedCheckpointRoundTripsInEveryFloatType) {
  TempDir dir;
  const auto layout = VitLayout(8, 2);
  for (DType dtype : {DType::kF32, DType::kF16, DType::kBF16, DType::kF64}) {
    std::vector<std::vector<float>> values;
    std::vector<std::vector<std::byte>> encoded;
    std::vector<TensorRecord> records;
    uint32_t seed = 7;
    for (const auto& [name, shape] : layout) {
      TensorRecord r{name, dtype, shape, nullptr, 0};
      std::vector<float> v(static_cast<size_t>(r.numel()));
      std::vector<std::byte> bytes(v.size() * DTypeSize(dtype));
      for (size_t i = 0; i < v.size(); ++i) {
        seed = seed * 1103515245u + 12345u;
        // Values exactly representable in every type under test (bf16 keeps 8 significant bits): k/64, |k| < 256.
        v[i] = static_cast<float>(static_cast<int>(seed >> 16) % 256) / 64.0f;
        if (dtype == DType::kF32) {
          std::memcpy(&bytes[i * 4], &v[i], 4);
        } else if (dtype == DType::kF64) {
          double d = v[i];
          std::memcpy(&bytes[i * 8], &d, 8);
        } else if (dtype == DType::kBF16) {
          uint32_t bits;
          std::memcpy(&bits, &v[i], 4);
          uint16_t top = static_cast<uint16_t>(bits >> 16);
          std::memcpy(&bytes[i * 2], &top, 2);
        } else {  // F16 by hand: |v| < 4 and a multiple of 1/64 is a normal half (or zero)
          uint16_t h = 0;
          if (v[i] != 0) {
            int e;
            float m = std::frexp(std::fabs(v[i]), &e);  // v = m * 2^e, m in [0.5, 1)
            h = static_cast<uint16_t>(((e - 1 + 15) << 10) | static_cast<uint16_t>((m * 2 - 1) * 1024));
            if (v[i] < 0) h |= 0x8000;
          }
          std::memcpy(&bytes[i * 2], &h, 2);
        }
      }
      values.push_back(std::move(v));
      encoded.push_back(std::move(bytes));
      r.data = encoded.back().data();
      r.nbytes = encoded.back().size();
      records.push_back(r);
    }
    const auto file = dir / ("vit_" + std::string(DTypeName(dtype)) + ".safetensors");
    WriteSafetensors(file, records, {{"format", "pt"}});
    auto source = OpenSafetensors(file);
    ASSERT_EQ(source->tensors().size(), layout.size());
    for (size_t i = 0; i < layout.size(); ++i) {
      EXPECT_EQ(source->tensors()[i].name, layout[i].first);  // written order is file order
      const TensorRecord* r = source->Find(layout[i].first);
      ASSERT_NE(r, nullptr);
      EXPECT_EQ(r->dtype, dtype);
      EXPECT_EQ(r->shape, layout[i].second);
      std::vector<float> out(static_cast<size_t>(r->numel()));
      CopyAsFloat32(*r, out.data());
      ASSERT_EQ(out, values[i]) << layout[i].first << " in " << DTypeName(dtype);
    }
  }
}

// Writes two shards of one tiny checkpoint and their index.
struct ShardedFixture {
  TempDir dir;
  std::vector<float> a{1, 2, 3, 4}, b{5, 6}, c{7};
  ShardedFixture() {
    WriteSafetensors(dir / "model-00001-of-00002.safetensors",
                     {{"a", DType::kF32, {2, 2}, reinterpret_cast<const std::byte*>(a.data()), 16},
                      {"b", DType::kF32, {2}, reinterpret_cast<const std::byte*>(b.data()), 8}});
    WriteSafetensors(dir / "model-00002-of-00002.safetensors",
                     {{"c", DType::kF32, {1}, reinterpret_cast<const std::byte*>(c.data()), 4}});
  }
  void WriteIndex(const std::string& weight_map) {
    testing::WriteFile(dir / "model.safetensors.index.json",
                       R"({"metadata": {"total_size": 28}, "weight_map": )" + weight_map + "}");
  }
  std::string OpenError() {
    try {
      OpenCheckpoint(dir.path());
    } catch (const Error& e) {
      return e.what();
    }
    return "opened without error";
  }
};

TEST(ShardedCheckpoint, OpensEveryShardOnceAndFindsEveryTensor) {
  ShardedFixture f;
  f.WriteIndex(R"({"c": "model-00002-of-00002.safetensors", "a": "model-00001-of-00002.safetensors",
                   "b": "model-00001-of-00002.safetensors"})");
  auto source = OpenCheckpoint(f.dir.path());
  EXPECT_EQ(source->path(), f.dir / "model.safetensors.index.json");
  // Each shard's bytes counted once: each shard was opened once.
  EXPECT_EQ(source->file_bytes(), std::filesystem::file_size(f.dir / "model-00001-of-00002.safetensors") +
                                      std::filesystem::file_size(f.dir / "model-00002-of-00002.safetensors"));
  ASSERT_EQ(source->tensors().size(), 3u);
  EXPECT_EQ(source->tensors()[0].name, "c");  // shards in order of first mention
  float out[4];
  CopyAsFloat32(*source->Find("a"), out);
  EXPECT_EQ(std::vector<float>(out, out + 4), f.a);
  CopyAsFloat32(*source->Find("c"), out);
  EXPECT_EQ(out[0], 7.0f);
  source->ReleasePages();
  source->ReleaseTensor(*source->Find("b"));
  CopyAsFloat32(*source->Find("b"), out);
  EXPECT_EQ(out[1], 6.0f);
}

TEST(ShardedCheckpoint, ListsOnlyTheWeightMapsTensors) {
  ShardedFixture f;
  f.WriteIndex(R"({"a": "model-00001-of-00002.safetensors"})");
  auto source = OpenCheckpoint(f.dir.path());
  ASSERT_EQ(source->tensors().size(), 1u);
  EXPECT_EQ(source->Find("b"), nullptr);
}

TEST(ShardedCheckpoint, RejectsBadIndexes) {
  ShardedFixture f;
  f.WriteIndex(R"({"a": "model-00002-of-00002.safetensors"})");
  EXPECT_NE(f.OpenError().find("puts \"a\" in model-00002-of-00002.safetensors, but that shard has no such tensor"),
            std::string::npos)
      << f.OpenError();
  f.WriteIndex(R"({"a": "../model-00001-of-00002.safetensors"})");
  EXPECT_NE(f.OpenError().find("inside the checkpoint folder"), std::string::npos) << f.OpenError();
  f.WriteIndex(R"({"a": "sub/../../x.safetensors"})");
  EXPECT_NE(f.OpenError().find("inside the checkpoint folder"), std::string::npos) << f.OpenError();
  f.WriteIndex(R"({"a": "/etc/passwd"})");
  EXPECT_NE(f.OpenError().find("inside the checkpoint folder"), std::string::npos) << f.OpenError();
  f.WriteIndex(R"({"a": ""})");
  EXPECT_NE(f.OpenError().find("inside the checkpoint folder"), std::string::npos) << f.OpenError();
  f.WriteIndex(R"({"a": "model-00003-of-00003.safetensors"})");
  EXPECT_NE(f.OpenError().find("does not exist"), std::string::npos) << f.OpenError();
  f.WriteIndex(R"({"a": 1})");
  EXPECT_NE(f.OpenError().find("expected a file name"), std::string::npos) << f.OpenError();
  f.WriteIndex(R"({"a": "model-00001-of-00002.safetensors", "a": "model-00002-of-00002.safetensors"})");
  EXPECT_NE(f.OpenError().find("duplicate JSON key \"a\""), std::string::npos) << f.OpenError();
  f.WriteIndex(R"({})");
  EXPECT_NE(f.OpenError().find("weight_map is empty"), std::string::npos) << f.OpenError();
  f.WriteIndex(R"([])");
  EXPECT_NE(f.OpenError().find("weight_map"), std::string::npos) << f.OpenError();
  testing::WriteFile(f.dir / "model.safetensors.index.json", "{\"weight_map\": ");
  EXPECT_NE(f.OpenError().find("invalid JSON"), std::string::npos) << f.OpenError();
  testing::WriteFile(f.dir / "model.safetensors.index.json", "{\"weight_map\": {\"a\": \"x.txt\"}}");
  testing::WriteFile(f.dir / "x.txt", "");
  EXPECT_NE(f.OpenError().find("neither .safetensors nor .bin"), std::string::npos) << f.OpenError();
}

}  // namespace
}  // namespace vit::io
