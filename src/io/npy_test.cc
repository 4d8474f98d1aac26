#include "io/npy.h"
#include "io/npy_block_writer.h"

#include <gtest/gtest.h>

#include <cstring>

#include "io/io_testing.h"
#include "io/npy_parse.h"
#include "io/peak_memory_testing.h"
#include "vit/error.h"

namespace vit::io {
namespace {

using testing::TempDir;

std::string ErrorOf(const std::filesystem::path& p) {
  try {
    ReadNpy(p);
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

// A .npy image with an arbitrary header dict and payload.
std::string NpyBytes(const std::string& dict, const std::string& payload, int major = 1) {
  std::string header = dict;
  size_t prefix = major == 1 ? 10 : 12;
  while ((prefix + header.size() + 1) % 64 != 0) header += ' ';
  header += '\n';
  std::string out = "\x93NUMPY";
  out += static_cast<char>(major);
  out += '\0';
  for (size_t i = 0; i < prefix - 8; ++i) out += static_cast<char>((header.size() >> (8 * i)) & 0xff);
  return out + header + payload;
}

std::string FloatBytes(std::initializer_list<float> values) {
  std::string s(values.size() * 4, '\0');
  std::memcpy(s.data(), values.begin(), s.size());
  return s;
}

TEST(Npy, WriteThenReadRoundTrips) {
  TempDir dir;
  const std::vector<float> data = {0, 1.5f, -2, 3.25f, 1e-30f, 7};
  WriteNpy(dir / "a.npy", {2, 3}, data.data());
  std::string bytes = testing::ReadFile(dir / "a.npy");
  EXPECT_EQ(bytes.size() % 64, data.size() * 4 % 64);  // data starts on a 64-byte boundary
  NpyArray a = ReadNpy(dir / "a.npy");
  EXPECT_EQ(a.shape, (std::vector<int64_t>{2, 3}));
  EXPECT_EQ(a.data, data);

  WriteNpy(dir / "scalar.npy", {}, data.data());
  EXPECT_TRUE(ReadNpy(dir / "scalar.npy").shape.empty());
  EXPECT_EQ(ReadNpy(dir / "scalar.npy").data, std::vector<float>{0});
  WriteNpy(dir / "empty.npy", {0, 4}, nullptr);
  EXPECT_EQ(ReadNpy(dir / "empty.npy").shape, (std::vector<int64_t>{0, 4}));
}

TEST(Npy, BlockWriterStreamsRowsAndFixesTheShape) {
  TempDir dir;
  std::vector<float> all;
  {
    NpyBlockWriter writer(dir / "rows.npy", {10, 2, 3}, 0);  // room for 10 rows, 6 written
    for (int batch = 0; batch < 3; ++batch) {
      std::vector<float> rows(static_cast<size_t>(batch + 1) * 6);
      for (size_t i = 0; i < rows.size(); ++i) rows[i] = static_cast<float>(all.size() + i);
      writer.WriteRows(static_cast<int64_t>(all.size() / 6), batch + 1, rows.data());
      all.insert(all.end(), rows.begin(), rows.end());
    }
    EXPECT_THROW(writer.WriteRows(8, 3, all.data()), Error) << "past the planned rows";
    writer.Finish(6);
    EXPECT_THROW(writer.WriteRows(0, 1, all.data()), Error) << "finished";
  }
  NpyArray a = ReadNpy(dir / "rows.npy");
  EXPECT_EQ(a.shape, (std::vector<int64_t>{6, 2, 3}));
  EXPECT_EQ(a.data, all);

  {
    NpyBlockWriter writer(dir / "none.npy", {5, 4}, 0);
    writer.Finish(0);
  }
  EXPECT_EQ(ReadNpy(dir / "none.npy").shape, (std::vector<int64_t>{0, 4}));
}

TEST(Npy, ReadsVersionsAndDoubles) {
  TempDir dir;
  const std::string dict = "{'descr': '<f4', 'fortran_order': False, 'shape': (2,), }";
  for (int major : {1, 2, 3}) {
    auto p = dir / ("v" + std::to_string(major) + ".npy");
    testing::WriteFile(p, NpyBytes(dict, FloatBytes({1, 2}), major));
    EXPECT_EQ(ReadNpy(p).data, (std::vector<float>{1, 2})) << major;
  }
  double d[] = {0.1, -3};
  std::string payload(reinterpret_cast<const char*>(d), sizeof d);
  testing::WriteFile(dir / "f8.npy", NpyBytes("{'descr': '<f8', 'fortran_order': False, 'shape': (1, 2), }", payload));
  EXPECT_EQ(ReadNpy(dir / "f8.npy").data, (std::vector<float>{0.1f, -3.0f}));
}

TEST(Npy, RejectsWhatItCannotRead) {
  TempDir dir;
  auto check = [&](const std::string& bytes, const std::string& expected_text) {
    testing::WriteFile(dir / "x.npy", bytes);
    std::string msg = ErrorOf(dir / "x.npy");
    EXPECT_NE(msg.find(expected_text), std::string::npos) << "message: " << msg;
  };
  check(NpyBytes("{'descr': '<f4', 'fortran_order': True, 'shape': (1, 2), }", FloatBytes({1, 2})), "Fortran");
  check(NpyBytes("{'descr': '<i8', 'fortran_order': False, 'shape': (1,), }", std::string(8, '\0')), "'<i8'");
  check(NpyBytes("{'descr': '>f4', 'fortran_order': False, 'shape': (1,), }", std::string(4, '\0')), "'>f4'");
  check(NpyBytes("{'descr': '<f4', 'fortran_order': False, 'shape': (3,), }", FloatBytes({1, 2})), "truncated");
  check(NpyBytes("{'descr': '<f4', 'fortran_order': False, 'shape': (1,), }", FloatBytes({1, 2})), "trailing");
  check(NpyBytes("{'descr': '<f4', 'fortran_order': False, }", ""), "bad .npy header");
  check(NpyBytes("{'descr': '<f4', 'fortran_order': False, 'shape': (-1,), }", ""), "bad .npy header");
  check(NpyBytes("{'descr': '<f4', 'fortran_order': False, 'shape': (99999999999999999999,), }", ""), "too large");
  check(NpyBytes("{'descr': '<f4', 'fortran_order': False, 'shape': (4294967296, 4294967296), }", ""), "too large");
  check(NpyBytes("{'descr': '<f4' 'shape': (1,)}", ""), "bad .npy header");
  check(NpyBytes("{'descr': '<f4', 'fortran_order': False, 'shape': (1,), }", FloatBytes({1}), 4), "version 4.0");
  check("\x93NUMPY\x01", "not a .npy");
  check("PK\x03\x04 hello world", "not a .npy");
  std::string long_header = NpyBytes("{'descr': '<f4', 'fortran_order': False, 'shape': (1,), }", "");
  long_header[8] = '\xff';
  long_header[9] = '\xff';
  check(long_header, "runs past the end");
  EXPECT_NE(ErrorOf(dir / "missing.npy").find("missing.npy"), std::string::npos);
}

TEST(Npy, NumpyAgreesBothWays) {
  if (!testing::PythonHas("numpy")) GTEST_SKIP() << "/usr/bin/python3 has no numpy";
  TempDir dir;
  const std::vector<float> data = {1, -2.5f, 3e7f, 0.125f};
  {
    NpyBlockWriter writer(dir / "ours.npy", {2, 2}, 0);
    writer.WriteRows(0, 2, data.data());
    writer.Finish(2);
  }
  const std::string script =
      "import numpy as np, sys; d = sys.argv[1]\n"
      "a = np.load(d + '/ours.npy')\n"
      "assert a.dtype == np.float32 and a.shape == (2, 2), (a.dtype, a.shape)\n"
      "assert a.tolist() == [[1, -2.5], [3e7, 0.125]], a.tolist()\n"
      "np.save(d + '/theirs.npy', np.arange(12, dtype=np.float64).reshape(3, 4) / 8)\n"
      "np.lib.format.write_array(open(d + '/v3.npy', 'wb'), np.ones((2,), np.float32), version=(3, 0))\n";
  testing::WriteFile(dir / "check.py", script);
  ASSERT_TRUE(testing::Run("/usr/bin/python3 " + (dir / "check.py").string() + " " + dir.path().string()));
  NpyArray theirs = ReadNpy(dir / "theirs.npy");
  EXPECT_EQ(theirs.shape, (std::vector<int64_t>{3, 4}));
  for (int i = 0; i < 12; ++i) EXPECT_EQ(theirs.data[static_cast<size_t>(i)], static_cast<float>(i) / 8);
  EXPECT_EQ(ReadNpy(dir / "v3.npy").data, (std::vector<float>{1, 1}));
}

}  // namespace
}  // namespace vit::io

namespace vit::io {
namespace {

// `vit embed` makes one input item per row a .npy claims: the header has to be checked against the
// file's size first, or a 128-byte file claiming billions of rows exhausts the memory.
TEST(Npy, HeaderThatClaimsMoreThanTheFileHoldsIsRefusedBeforeAnyAllocation) {
  testing::TempDir dir;
  const auto path = dir.path() / "huge.npy";
  testing::WriteFile(path, NpyBytes("{'descr': '<f4', 'fortran_order': False, 'shape': (3000000000, 3, 224, 224), }",
                           FloatBytes({1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16})));
  ASSERT_LE(std::filesystem::file_size(path), 192u);
  std::string error;
  const int64_t growth = vit::testing::PeakRssGrowth([&] {
    try {
      ReadNpyHeader(path);
    } catch (const Error& e) {
      error = e.what();
    }
  });
  EXPECT_NE(error.find(path.string() + ": .npy data is truncated"), std::string::npos) << error;
  EXPECT_LT(growth, int64_t{8} << 20);

  const auto ok = dir.path() / "ok.npy";
  testing::WriteFile(ok, NpyBytes("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 2), }", FloatBytes({1, 2, 3, 4})));
  EXPECT_EQ(ReadNpyHeader(ok).shape, (std::vector<int64_t>{2, 2}));
  try {
    ReadNpyHeader("/dev/zero");
    ADD_FAILURE() << "read /dev/zero";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("not a regular file"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace vit::io
