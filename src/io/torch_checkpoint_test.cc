#include "io/torch_checkpoint.h"

#include <gtest/gtest.h>

#include <cstring>
#include <filesystem>
#include <memory>
#include <vector>

#include "io/io_testing.h"
#include "io/pickle_testing.h"
#include "io/safetensors.h"
#include "io/zip_reader.h"
#include "vit/error.h"

namespace vit::io {
namespace {

using testing::StateDictPickle;
using testing::TempDir;
using testing::TorchZip;

std::string Floats(std::initializer_list<float> v) {
  std::string s(v.size() * 4, '\0');
  std::memcpy(s.data(), v.begin(), s.size());
  return s;
}

std::vector<TensorRecord> Parse(const std::string& bytes, std::deque<std::vector<std::byte>>& copies) {
  return ParseTorchCheckpoint(std::as_bytes(std::span(bytes.data(), bytes.size())), "test.bin", copies);
}

Error ParseError(const std::string& bytes) {
  std::deque<std::vector<std::byte>> copies;
  try {
    Parse(bytes, copies);
  } catch (const Error& e) {
    return e;
  }
  ADD_FAILURE() << "parsed without error";
  return Error("");
}

#define EXPECT_TORCH_ERROR(bytes, text, error_kind)                                  \
  do {                                                                               \
    const Error e_ = ParseError(bytes);                                              \
    EXPECT_NE(std::string(e_.what()).find(text), std::string::npos) << e_.what();    \
    EXPECT_EQ(e_.kind(), error_kind) << e_.what();                                   \
  } while (0)

std::vector<float> AsFloats(const TensorRecord& r) {
  std::vector<float> out(static_cast<size_t>(r.numel()));
  CopyAsFloat32(r, out.data());
  return out;
}

// ---- Archives built here, no Python needed ----

TEST(TorchCheckpoint, ReadsACraftedArchiveWithAndWithoutZip64) {
  const std::string pickle = StateDictPickle({{"w", "FloatStorage", "0", 6, 0, {2, 3}, {3, 1}},
                                              {"row", "FloatStorage", "0", 6, 3, {3}, {1}},
                                              {"t", "FloatStorage", "0", 6, 0, {3, 2}, {1, 3}}});
  for (bool zip64 : {false, true}) {
    const std::string bytes = TorchZip(pickle, {{"0", Floats({0, 1, 2, 3, 4, 5})}}, zip64);
    std::deque<std::vector<std::byte>> copies;
    std::vector<TensorRecord> r = Parse(bytes, copies);
    ASSERT_EQ(r.size(), 3u);
    EXPECT_EQ(r[0].shape, (std::vector<int64_t>{2, 3}));
    EXPECT_EQ(AsFloats(r[0]), (std::vector<float>{0, 1, 2, 3, 4, 5}));
    EXPECT_EQ(AsFloats(r[1]), (std::vector<float>{3, 4, 5}));
    // Views share the archive's bytes; the transposed one is gathered into a copy.
    EXPECT_EQ(r[1].data, r[0].data + 12);
    EXPECT_EQ(AsFloats(r[2]), (std::vector<float>{0, 3, 1, 4, 2, 5}));
    EXPECT_EQ(copies.size(), 1u);
  }
}

TEST(TorchCheckpoint, CopyBytesReadsTheFileAndCopiesGatheredViews) {
  const std::string pickle = StateDictPickle({{"w", "FloatStorage", "0", 6, 0, {2, 3}, {3, 1}},
                                              {"t", "FloatStorage", "0", 6, 0, {3, 2}, {1, 3}}});
  TempDir dir;
  testing::WriteFile(dir / "m.bin", TorchZip(pickle, {{"0", Floats({0, 1, 2, 3, 4, 5})}}));
  auto source = OpenTorchCheckpoint(dir / "m.bin");
  std::vector<float> w(6), t(6);
  source->CopyBytes(*source->Find("w"), reinterpret_cast<std::byte*>(w.data()));
  EXPECT_EQ(w, (std::vector<float>{0, 1, 2, 3, 4, 5}));
  std::filesystem::resize_file(dir / "m.bin", 64);  // cut short after opening
  try {
    source->CopyBytes(*source->Find("w"), reinterpret_cast<std::byte*>(w.data()));
    FAIL() << "read a tensor past the file's new end";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::kIo) << e.what();
  }
  // The transposed view was gathered into memory at open: still there.
  source->CopyBytes(*source->Find("t"), reinterpret_cast<std::byte*>(t.data()));
  EXPECT_EQ(t, (std::vector<float>{0, 3, 1, 4, 2, 5}));
}

TEST(TorchCheckpoint, RefusesViewsOutsideTheirStorage) {
  auto archive = [](const testing::TensorSpec& spec, const std::string& data) {
    return TorchZip(StateDictPickle({spec}), {{spec.key, data}});
  };
  const std::string four = Floats({1, 2, 3, 4});
  EXPECT_TORCH_ERROR(archive({"w", "FloatStorage", "0", 4, 1, {4}, {1}}, four), "runs past its storage of 4",
                     ErrorKind::kInvalidInput);
  EXPECT_TORCH_ERROR(archive({"w", "FloatStorage", "0", 4, 1000000000000LL, {1}, {1}}, four), "runs past its storage",
                     ErrorKind::kInvalidInput);
  EXPECT_TORCH_ERROR(archive({"w", "FloatStorage", "0", 4, 0, {2, 2}, {3, 1}}, four), "runs past its storage",
                     ErrorKind::kInvalidInput);
  EXPECT_TORCH_ERROR(archive({"w", "FloatStorage", "0", 8, 0, {4}, {1}}, four), "holds 16 bytes",
                     ErrorKind::kInvalidInput);
  EXPECT_TORCH_ERROR(archive({"w", "DoubleStorage", "0", 4, 0, {4}, {1}}, four), "holds 16 bytes",
                     ErrorKind::kInvalidInput);
  EXPECT_TORCH_ERROR(archive({"w", "FloatStorage", "0", 4, 0, {4611686018427387904LL, 4}, {4, 1}}, four),
                     "overflows", ErrorKind::kInvalidInput);
  EXPECT_TORCH_ERROR(archive({"w", "FloatStorage", "0", 4611686018427387904LL, 0, {1}, {1}}, four), "overflows",
                     ErrorKind::kInvalidInput);
  EXPECT_TORCH_ERROR(archive({"w", "FloatStorage", "0", 1, 0, {1000000}, {0}}, Floats({1})), "overlapping strides",
                     ErrorKind::kUnsupported);
  EXPECT_TORCH_ERROR(TorchZip(StateDictPickle({{"w", "FloatStorage", "7", 4, 0, {4}, {1}}}), {{"0", four}}),
                     "archive/data/7 is not in the archive", ErrorKind::kInvalidInput);
  // Empty views need no bytes, wherever they claim to start.
  std::deque<std::vector<std::byte>> copies;
  EXPECT_EQ(Parse(archive({"w", "FloatStorage", "0", 4, 99, {0, 3}, {3, 1}}, four), copies)[0].nbytes, 0u);
}

TEST(TorchCheckpoint, RefusesBrokenArchives) {
  const std::string pickle = StateDictPickle({{"w", "FloatStorage", "0", 2, 0, {2}, {1}}});
  const std::string good = TorchZip(pickle, {{"0", Floats({1, 2})}});
  std::deque<std::vector<std::byte>> copies;
  ASSERT_EQ(Parse(good, copies).size(), 1u);

  EXPECT_TORCH_ERROR("", "not a torch checkpoint", ErrorKind::kInvalidInput);
  EXPECT_TORCH_ERROR("hello, world", "not a torch checkpoint", ErrorKind::kInvalidInput);
  EXPECT_TORCH_ERROR(std::string("\x80\x02\x8a\x0alegacy", 10), "legacy", ErrorKind::kUnsupported);
  // Every truncation is an error, never a read past the end.
  for (size_t cut = 4; cut < good.size(); ++cut) {
    const Error e = ParseError(good.substr(0, cut));
    EXPECT_EQ(e.kind(), ErrorKind::kInvalidInput) << "cut at " << cut << ": " << e.what();
  }
  // A compressed entry (method 8 in the central directory).
  std::string compressed = good;
  const size_t directory = compressed.rfind(std::string("PK\x01\x02", 4), compressed.size());
  const size_t first_entry = compressed.find(std::string("PK\x01\x02", 4));
  ASSERT_NE(directory, std::string::npos);
  compressed[first_entry + 10] = 8;
  EXPECT_TORCH_ERROR(compressed, "compressed", ErrorKind::kUnsupported);
  // Encrypted.
  std::string encrypted = good;
  encrypted[first_entry + 8] = 1;
  EXPECT_TORCH_ERROR(encrypted, "encrypted", ErrorKind::kUnsupported);
  // A corrupted pickle byte fails the CRC.
  std::string flipped = good;
  flipped[good.find("_rebuild_tensor_v2")] ^= 0x20;
  EXPECT_TORCH_ERROR(flipped, "CRC-32", ErrorKind::kInvalidInput);
  // No data.pkl, or two.
  EXPECT_TORCH_ERROR(testing::StoredZip({{"archive/version", "3"}}), "found 0", ErrorKind::kInvalidInput);
  EXPECT_TORCH_ERROR(testing::StoredZip({{"a/data.pkl", pickle}, {"b/data.pkl", pickle}}), "found 2",
                     ErrorKind::kInvalidInput);
  EXPECT_TORCH_ERROR(testing::StoredZip({{"a/data.pkl", pickle}, {"a/data.pkl", pickle}}), "appears twice",
                     ErrorKind::kInvalidInput);
  EXPECT_TORCH_ERROR(testing::StoredZip({{"a/data.pkl", pickle}, {"a/byteorder", "big"}}), "little-endian",
                     ErrorKind::kUnsupported);
  // A refused pickle inside a valid zip.
  EXPECT_TORCH_ERROR(TorchZip(testing::PickleBuilder().Proto().Global("os", "system").bytes(), {}),
                     "global os.system is not allowed", ErrorKind::kInvalidInput);
}

TEST(TorchCheckpoint, RandomCorruptionNeverCrashes) {
  const std::string good = TorchZip(StateDictPickle({{"w", "FloatStorage", "0", 6, 0, {2, 3}, {3, 1}},
                                                     {"t", "HalfStorage", "1", 4, 0, {2, 2}, {1, 2}}}),
                                    {{"0", Floats({0, 1, 2, 3, 4, 5})}, {"1", std::string(8, '\1')}});
  uint32_t state = 7;
  auto next = [&] { return state = state * 1664525u + 1013904223u; };
  int refused = 0;
  for (int trial = 0; trial < 3000; ++trial) {
    std::string bytes = good;
    for (int i = 0, n = 1 + static_cast<int>(next() % 3); i < n; ++i) bytes[next() % bytes.size()] = static_cast<char>(next());
    std::deque<std::vector<std::byte>> copies;
    try {
      for (const TensorRecord& r : Parse(bytes, copies)) AsFloats(r);
    } catch (const Error&) {
      ++refused;
    }
  }
  EXPECT_GT(refused, 100);
}

// ---- Files written by torch.save (Debian's python3-torch) ----

class TorchFixtures : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    if (!testing::PythonHas("torch")) return;
    dir_ = std::make_unique<TempDir>();
    const std::string script = std::string(VIT_SOURCE_DIR) + "/src/io/testdata/make_torch_fixtures.py";
    generated_ = testing::Run("/usr/bin/python3 " + script + " " + dir_->path().string() + " >/dev/null");
  }
  static void TearDownTestSuite() { dir_.reset(); }

  void SetUp() override {
    if (!dir_) GTEST_SKIP() << "/usr/bin/python3 has no torch";
    ASSERT_TRUE(generated_) << "make_torch_fixtures.py failed";
  }

  static std::filesystem::path Path(const std::string& name) { return dir_->path() / name; }

  // Same names in the same order, same dtypes and shapes, the same values bit for bit.
  static void ExpectSameTensors(const TensorSource& torch_source, const TensorSource& reference) {
    ASSERT_EQ(torch_source.tensors().size(), reference.tensors().size());
    for (size_t i = 0; i < reference.tensors().size(); ++i) {
      const TensorRecord& got = torch_source.tensors()[i];
      const TensorRecord& want = reference.tensors()[i];
      SCOPED_TRACE(want.name);
      EXPECT_EQ(got.name, want.name);
      EXPECT_EQ(got.dtype, want.dtype);
      EXPECT_EQ(got.shape, want.shape);
      ASSERT_EQ(got.nbytes, want.nbytes);
      EXPECT_EQ(std::memcmp(got.data, want.data, want.nbytes), 0);
      if (want.dtype == DType::kF32 || want.dtype == DType::kF16 || want.dtype == DType::kBF16) {
        EXPECT_EQ(AsFloats(got), AsFloats(want));
      }
    }
  }

  static std::string OpenError(const std::string& name) {
    try {
      OpenTorchCheckpoint(Path(name));
    } catch (const Error& e) {
      return e.what();
    }
    return "opened without error";
  }

  static inline std::unique_ptr<TempDir> dir_;
  static inline bool generated_ = false;
};

TEST_F(TorchFixtures, VitStateDictsMatchTheSafetensorsPath) {
  for (const char* tag : {"f32", "f16", "bf16"}) {
    SCOPED_TRACE(tag);
    auto bin = OpenTorchCheckpoint(Path(std::string("vit_") + tag + ".bin"));
    auto reference = OpenSafetensors(Path(std::string("vit_") + tag + ".safetensors"));
    EXPECT_EQ(bin->tensors().size(), 4u + 2 * 16 + 4);
    ASSERT_NE(bin->Find("encoder.layer.1.attention.attention.query.weight"), nullptr);
    ExpectSameTensors(*bin, *reference);
    EXPECT_EQ(bin->file_bytes(), std::filesystem::file_size(Path(std::string("vit_") + tag + ".bin")));
  }
}

TEST_F(TorchFixtures, ViewsScalarsIntsParametersAndEmptyTensors) {
  auto bin = OpenTorchCheckpoint(Path("views.bin"));
  ExpectSameTensors(*bin, *OpenSafetensors(Path("views.safetensors")));
  EXPECT_EQ(AsFloats(*bin->Find("transposed"))[1], 6.0f);
  EXPECT_EQ(bin->Find("position_ids")->dtype, DType::kI64);
  EXPECT_TRUE(bin->Find("scalar")->shape.empty());
  bin->ReleasePages();
  bin->ReleaseTensor(*bin->Find("transposed"));  // a copy, not in the mapping: ignored
  bin->ReleaseTensor(*bin->Find("row2"));
  EXPECT_EQ(AsFloats(*bin->Find("transposed"))[1], 6.0f);
  EXPECT_EQ(AsFloats(*bin->Find("row2")), (std::vector<float>{12, 13, 14, 15, 16, 17}));
  ExpectSameTensors(*OpenTorchCheckpoint(Path("plain_dict.bin")), *OpenSafetensors(Path("plain_dict.safetensors")));
}

TEST_F(TorchFixtures, ShardedBinCheckpoint) {
  auto sharded = OpenCheckpoint(Path("sharded"));
  EXPECT_EQ(sharded->path(), Path("sharded") / "pytorch_model.bin.index.json");
  ExpectSameTensors(*sharded, *OpenSafetensors(Path("sharded_reference.safetensors")));
}

TEST_F(TorchFixtures, OpenCheckpointPicksPytorchModelBin) {
  TempDir model;
  std::filesystem::copy_file(Path("vit_f32.bin"), model / "pytorch_model.bin");
  EXPECT_EQ(FindCheckpointFile(model.path()), model / "pytorch_model.bin");
  ExpectSameTensors(*OpenCheckpoint(model.path()), *OpenSafetensors(Path("vit_f32.safetensors")));
}

TEST_F(TorchFixtures, RefusesAPickleThatRunsACommandWithoutRunningIt) {
  // torch.load ran the same payload while the fixtures were written: the file is live.
  ASSERT_TRUE(std::filesystem::exists(Path("python_ran")));
  EXPECT_FALSE(std::filesystem::exists(Path("evil_ran")));
  const std::string message = OpenError("evil_system.bin");
  EXPECT_NE(message.find("global posix.system is not allowed"), std::string::npos) << message;
  EXPECT_NE(OpenError("evil_proof.bin").find("posix.system"), std::string::npos);
  EXPECT_FALSE(std::filesystem::exists(Path("evil_ran")));
}

TEST_F(TorchFixtures, RefusesWhatIsNotATensorStateDict) {
  EXPECT_NE(OpenError("unknown_global.bin").find("global collections.Counter is not allowed"), std::string::npos)
      << OpenError("unknown_global.bin");
  EXPECT_NE(OpenError("complex_storage.bin").find("global torch.ComplexFloatStorage is not allowed"), std::string::npos)
      << OpenError("complex_storage.bin");
  EXPECT_NE(OpenError("not_a_tensor.bin").find("\"x\" is an int, expected a tensor"), std::string::npos)
      << OpenError("not_a_tensor.bin");
  EXPECT_NE(OpenError("not_a_dict.bin").find("expected a state_dict"), std::string::npos) << OpenError("not_a_dict.bin");
  try {
    OpenTorchCheckpoint(Path("legacy.bin"));
    FAIL() << "legacy format opened";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::kUnsupported);
    EXPECT_NE(std::string(e.what()).find("convert it to safetensors"), std::string::npos) << e.what();
  }
}

TEST_F(TorchFixtures, EveryTruncationOfARealFileIsAnError) {
  const std::string good = testing::ReadFile(Path("views.bin"));
  for (size_t cut = 0; cut < good.size(); cut += 7) {
    const Error e = ParseError(good.substr(0, cut));
    EXPECT_FALSE(std::string(e.what()).empty()) << cut;
  }
}

}  // namespace
}  // namespace vit::io
