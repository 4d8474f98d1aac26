// Small hostile files, built here byte by byte, must be refused (or decoded) within a bound on time and
// on the memory this process takes while decoding them, and every error must name the file.
#include <gtest/gtest.h>
#include <png.h>
#include <zlib.h>

#include <chrono>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "image/decoders.h"
#include "image/image_testing.h"
#include "io/peak_memory_testing.h"
#include "vit/error.h"
#include "vit/image.h"

namespace vit::image {
namespace {

using Bytes = std::vector<uint8_t>;

void PutBigEndian32(Bytes& v, uint32_t x) {
  for (int s = 24; s >= 0; s -= 8) v.push_back(static_cast<uint8_t>(x >> s));
}

Bytes PngChunk(const std::string& type, const Bytes& data) {
  Bytes v;
  v.reserve(12 + data.size());
  PutBigEndian32(v, static_cast<uint32_t>(data.size()));
  for (const char c : type) v.push_back(static_cast<uint8_t>(c));
  for (const uint8_t b : data) v.push_back(b);
  uLong crc = crc32(0L, reinterpret_cast<const Bytef*>(type.data()), 4);
  crc = crc32(crc, data.data(), static_cast<uInt>(data.size()));
  PutBigEndian32(v, static_cast<uint32_t>(crc));
  return v;
}

Bytes Zlib(const Bytes& raw) {
  uLongf size = compressBound(raw.size());
  Bytes out(size);
  compress2(out.data(), &size, raw.data(), raw.size(), 9);
  out.resize(size);
  return out;
}

Bytes PngHeader(uint32_t width, uint32_t height, uint8_t depth, uint8_t color_type, uint8_t interlace) {
  Bytes v = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1A, '\n'};
  Bytes ihdr;
  PutBigEndian32(ihdr, width);
  PutBigEndian32(ihdr, height);
  ihdr.insert(ihdr.end(), {depth, color_type, 0, 0, interlace});
  const Bytes chunk = PngChunk("IHDR", ihdr);
  v.insert(v.end(), chunk.begin(), chunk.end());
  return v;
}

// `chunks` inserted after IHDR of a valid 8x8 RGB PNG.
Bytes PngWithChunksAfterHeader(const std::vector<Bytes>& chunks) {
  const Bytes png = testing::EncodePng(8, 8, PNG_COLOR_TYPE_RGB, 8, testing::RandomBytes(8 * 8 * 3, 7));
  Bytes out(png.begin(), png.begin() + 33);  // signature and IHDR
  for (const Bytes& c : chunks) out.insert(out.end(), c.begin(), c.end());
  out.insert(out.end(), png.begin() + 33, png.end());
  return out;
}

// A zTXt chunk whose text is `inflated` bytes of 'a'.
Bytes CompressedText(size_t inflated) {
  Bytes data = {'C', 'o', 'm', 'm', 'e', 'n', 't', 0, 0};
  const Bytes z = Zlib(Bytes(inflated, 'a'));
  data.insert(data.end(), z.begin(), z.end());
  return PngChunk("zTXt", data);
}

// The decode's message ("" when it decodes) and the peak memory it took.
struct Outcome {
  std::string error;
  int64_t peak_growth = 0;
  double seconds = 0;
};

Outcome DecodeMeasured(const Bytes& bytes, const std::string& name) {
  Outcome o;
  const auto start = std::chrono::steady_clock::now();
  o.peak_growth = vit::testing::PeakRssGrowth([&] {
    try {
      DecodeImage(bytes, name);
    } catch (const Error& e) {
      o.error = e.what();
    }
  });
  o.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::printf("%s: peak RSS growth %.1f MiB, %.2f s\n", name.c_str(), static_cast<double>(o.peak_growth) / (1 << 20),
              o.seconds);
  return o;
}

constexpr int64_t kMiB = int64_t{1} << 20;

// libpng inflated and kept every text chunk: 1,000 chunks of 4 MB each took 4.1 GB. Pillow refuses a
// text that inflates past 1 MB, and text past 64 MB in all; under those limits the text is not kept.
TEST(HostilePngTest, CompressedTextChunksAreCappedAsPillowCapsThem) {
  const Bytes one_big = PngWithChunksAfterHeader({CompressedText(4 << 20)});
  Outcome o = DecodeMeasured(one_big, "big_text.png");
  EXPECT_EQ(o.error.rfind("big_text.png: ", 0), 0u) << o.error;
  EXPECT_NE(o.error.find("Decompressed Data Too Large"), std::string::npos) << o.error;
  EXPECT_LT(o.peak_growth, 8 * kMiB);

  // 40 texts of 1,000,000 bytes each, under both limits: decoded, the text not kept.
  const Bytes forty = PngWithChunksAfterHeader(std::vector<Bytes>(40, CompressedText(1000000)));
  o = DecodeMeasured(forty, "forty.png");
  EXPECT_EQ(o.error, "");
  EXPECT_LT(o.peak_growth, 8 * kMiB);

  // 100 of them are 100 MB of text: over Pillow's 64 MB.
  const Bytes hundred = PngWithChunksAfterHeader(std::vector<Bytes>(100, CompressedText(1000000)));
  o = DecodeMeasured(hundred, "hundred.png");
  EXPECT_NE(o.error.find("hundred.png: PNG text chunks hold more than 67108864 bytes"), std::string::npos) << o.error;
  EXPECT_LT(o.peak_growth, 8 * kMiB);
}

// A header claiming 178,956,970 x 1 pixels of 16-bit RGBA (1.4 GB a row) with 12 bytes of image data
// allocated 3.3 GB before "Not enough image data".
TEST(HostilePngTest, ImageDataTooShortForTheHeaderIsRefusedBeforeAllocating) {
  Bytes tiny = PngHeader(178956970, 1, 16, PNG_COLOR_TYPE_RGB_ALPHA, 0);
  for (const Bytes& c : {PngChunk("IDAT", Zlib(Bytes(4, 0))), PngChunk("IEND", {})}) tiny.insert(tiny.end(), c.begin(), c.end());
  ASSERT_LT(tiny.size(), 80u);
  Outcome o = DecodeMeasured(tiny, "wide.png");
  EXPECT_NE(o.error.find("wide.png: truncated PNG: 178956970x1 pixels need 1431655760 bytes"), std::string::npos)
      << o.error;
  EXPECT_LT(o.peak_growth, 8 * kMiB);

  // Interlaced 13000 x 13000 with no image data at all took 1.8 GB.
  Bytes interlaced = PngHeader(13000, 13000, 8, PNG_COLOR_TYPE_RGB, 1);
  for (const Bytes& c : {PngChunk("IDAT", {}), PngChunk("IEND", {})}) interlaced.insert(interlaced.end(), c.begin(), c.end());
  o = DecodeMeasured(interlaced, "interlaced.png");
  EXPECT_NE(o.error.find("interlaced.png: truncated PNG"), std::string::npos) << o.error;
  EXPECT_LT(o.peak_growth, 8 * kMiB);

  // A real image whose data compresses well is not refused: 2000 x 2000 zeros fit in a few KB.
  const Bytes flat = testing::EncodePng(2000, 2000, PNG_COLOR_TYPE_GRAY, 8, Bytes(2000 * 2000, 0), {}, true);
  o = DecodeMeasured(flat, "flat.png");
  EXPECT_EQ(o.error, "");
  // The RGB image (12 MB) and libpng's interlace buffer (4 MB), twice over for slack.
  EXPECT_LT(o.peak_growth, 2 * (12 + 4) * kMiB);
}

// SOS segments with their entropy-coded data: [start, end) of each, in file order.
std::vector<std::pair<size_t, size_t>> JpegScans(const Bytes& jpeg) {
  std::vector<std::pair<size_t, size_t>> scans;
  size_t at = 2;
  while (at + 4 <= jpeg.size() && jpeg[at] == 0xFF) {
    const uint8_t marker = jpeg[at + 1];
    if (marker == 0xD9) break;
    const size_t length = (size_t{jpeg[at + 2]} << 8) | jpeg[at + 3];
    size_t end = at + 2 + length;
    if (marker == 0xDA) {
      while (end + 1 < jpeg.size() &&
             !(jpeg[end] == 0xFF && jpeg[end + 1] != 0 && (jpeg[end + 1] < 0xD0 || jpeg[end + 1] > 0xD7))) {
        ++end;
      }
      scans.emplace_back(at, end);
    }
    at = end;
  }
  return scans;
}

// A progressive JPEG whose last scan repeats 20,000 times: libjpeg only warns about each repeat, and
// each costs a pass over every coefficient (30-60 s of CPU for a 345 KB file).
TEST(HostileJpegTest, ScansPastTheLimitAreRefused) {
  const Bytes jpeg = testing::EncodeJpeg(256, 256, 1, testing::RandomBytes(256 * 256, 9), 90, /*progressive=*/true);
  const auto scans = JpegScans(jpeg);
  ASSERT_GE(scans.size(), 2u);
  const auto [begin, end] = scans.back();
  Bytes bomb(jpeg.begin(), jpeg.begin() + static_cast<std::ptrdiff_t>(end));
  for (int i = 0; i < 20000; ++i) bomb.insert(bomb.end(), jpeg.begin() + static_cast<std::ptrdiff_t>(begin), jpeg.begin() + static_cast<std::ptrdiff_t>(end));
  bomb.insert(bomb.end(), {0xFF, 0xD9});
  const Outcome o = DecodeMeasured(bomb, "scans.jpg");
  EXPECT_NE(o.error.find("scans.jpg: corrupt JPEG: more than 500 scans"), std::string::npos) << o.error;
  EXPECT_LT(o.peak_growth, 16 * kMiB);
  EXPECT_LT(o.seconds, 10.0);
  // The same image with its scans once each decodes.
  EXPECT_EQ(DecodeMeasured(jpeg, "fine.jpg").error, "");
}

void PutLe16(Bytes& v, uint32_t x) { testing::PutLe16(v, x); }
void PutLe32(Bytes& v, uint32_t x) { testing::PutLe32(v, x); }

// A 16 x 16 grey TIFF whose one tile is 32768 x 65536 pixels (2 GB): it said only "std::bad_alloc".
TEST(HostileTiffTest, HugeTilesAreRefusedNamingTheFile) {
  struct Entry {
    uint16_t tag, type;
    uint32_t count, value;
  };
  const std::vector<Entry> entries = {
      {256, 4, 1, 16},     {257, 4, 1, 16},    {258, 3, 1, 8},      {259, 3, 1, 1},  {262, 3, 1, 1},
      {277, 3, 1, 1},      {322, 4, 1, 32768}, {323, 4, 1, 65536},  {324, 4, 1, 8},  {325, 4, 1, 256},
  };
  Bytes tiff = {'I', 'I', 42, 0};
  PutLe32(tiff, 8 + 256);  // the IFD after 256 bytes of "tile data"
  tiff.resize(8 + 256, 0x80);
  PutLe16(tiff, static_cast<uint32_t>(entries.size()));
  for (const Entry& e : entries) {
    PutLe16(tiff, e.tag);
    PutLe16(tiff, e.type);
    PutLe32(tiff, e.count);
    if (e.type == 3) {
      PutLe16(tiff, e.value);
      PutLe16(tiff, 0);
    } else {
      PutLe32(tiff, e.value);
    }
  }
  PutLe32(tiff, 0);
  const Outcome o = DecodeMeasured(tiff, "tiles.tif");
  EXPECT_EQ(o.error.rfind("tiles.tif: ", 0), 0u) << o.error;
  EXPECT_NE(o.error.find("32768x65536"), std::string::npos) << o.error;
  EXPECT_LT(o.peak_growth, 16 * kMiB);
}

// "cannot create std::vector larger than max_size()": only regular files are read.
TEST(HostileFileTest, DevicesAreRefusedNamingTheFile) {
  try {
    LoadImage("/dev/zero");
    ADD_FAILURE() << "read /dev/zero";
  } catch (const Error& e) {
    EXPECT_EQ(std::string(e.what()).rfind("/dev/zero: not a regular file", 0), 0u) << e.what();
    EXPECT_EQ(e.kind(), ErrorKind::kInvalidArgument);
  }
}

}  // namespace
}  // namespace vit::image
