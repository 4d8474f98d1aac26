// Decoders on pictures generated here, and every kind of bad input with the message it must give.
// (Bit-for-bit agreement with Pillow over a wide corpus is tests/parity/test_preprocess.py's job.)
#include <gtest/gtest.h>
#include <tiffio.h>
#include <unistd.h>
#include <zlib.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "image/decoders.h"
#include "image/exif.h"
#include "image/image_testing.h"
#include "vit/error.h"
#include "vit/image.h"

namespace vit::image {
namespace {

using testing::EncodeBmp;
using testing::EncodeGif;
using testing::EncodeJpeg;
using testing::EncodePng;
using testing::RandomBytes;

Image Decode(const std::vector<uint8_t>& bytes, const std::string& name = "test.img", bool exif = false) {
  DecodeOptions options;
  options.exif_transpose = exif;
  return DecodeImage(bytes, name, options);
}

// The error DecodeImage throws for `bytes`; fails the test when it decodes.
Error DecodeError(const std::vector<uint8_t>& bytes, const std::string& name) {
  try {
    Decode(bytes, name);
  } catch (const Error& e) {
    return e;
  }
  ADD_FAILURE() << name << " decoded but should not";
  return Error("no error");
}

void ExpectRefused(const std::vector<uint8_t>& bytes, const std::string& name, const std::string& reason,
                   ErrorKind kind = ErrorKind::kInvalidInput) {
  const Error e = DecodeError(bytes, name);
  const std::string message = e.what();
  EXPECT_EQ(message.rfind(name + ": ", 0), 0u) << message;
  EXPECT_NE(message.find(reason), std::string::npos) << "message: " << message << "\nexpected to mention: " << reason;
  EXPECT_EQ(e.kind(), kind) << message;
}

std::vector<uint8_t> Rgb(const Image& image) { return image.rgb; }

// ---- PNG: every colour type and depth, as Pillow converts them -------------------------------------

TEST(DecodePngTest, Rgb8IsReadAsIs) {
  const auto rgb = RandomBytes(7 * 5 * 3, 1);
  const Image img = Decode(EncodePng(7, 5, PNG_COLOR_TYPE_RGB, 8, rgb));
  EXPECT_EQ(img.width, 7);
  EXPECT_EQ(img.height, 5);
  EXPECT_EQ(img.rgb, rgb);
}

TEST(DecodePngTest, InterlacedEqualsPlain) {
  const auto rgb = RandomBytes(13 * 11 * 3, 2);
  EXPECT_EQ(Rgb(Decode(EncodePng(13, 11, PNG_COLOR_TYPE_RGB, 8, rgb, {}, true))), rgb);
}

TEST(DecodePngTest, SixteenBitSamplesKeepTheHighByte) {
  const auto samples = RandomBytes(4 * 3 * 4 * 2, 3);  // RGBA, 16-bit big-endian
  const Image img = Decode(EncodePng(4, 3, PNG_COLOR_TYPE_RGB_ALPHA, 16, samples));
  for (size_t i = 0; i < 12; ++i) {
    EXPECT_EQ(img.rgb[3 * i], samples[8 * i]);
    EXPECT_EQ(img.rgb[3 * i + 1], samples[8 * i + 2]);
    EXPECT_EQ(img.rgb[3 * i + 2], samples[8 * i + 4]);
  }
}

TEST(DecodePngTest, SixteenBitGreyIsClippedAt255LikePillowsModeI) {
  // Pillow opens it as mode "I" and convert("RGB") clips: 100 stays 100, 256 and up become 255.
  const std::vector<uint8_t> samples = {0, 100, 0, 255, 1, 0, 255, 255};
  const Image img = Decode(EncodePng(4, 1, PNG_COLOR_TYPE_GRAY, 16, samples));
  EXPECT_EQ(img.rgb, (std::vector<uint8_t>{100, 100, 100, 255, 255, 255, 255, 255, 255, 255, 255, 255}));
}

TEST(DecodePngTest, LowDepthGreyScalesToTheFullRange) {
  const std::vector<uint8_t> two_bit = {0, 1, 2, 3};
  EXPECT_EQ(Rgb(Decode(EncodePng(4, 1, PNG_COLOR_TYPE_GRAY, 2, two_bit))),
            (std::vector<uint8_t>{0, 0, 0, 85, 85, 85, 170, 170, 170, 255, 255, 255}));
  const std::vector<uint8_t> one_bit = {1, 0};
  EXPECT_EQ(Rgb(Decode(EncodePng(2, 1, PNG_COLOR_TYPE_GRAY, 1, one_bit))), (std::vector<uint8_t>{255, 255, 255, 0, 0, 0}));
  const std::vector<uint8_t> four_bit = {15, 1};
  EXPECT_EQ(Rgb(Decode(EncodePng(2, 1, PNG_COLOR_TYPE_GRAY, 4, four_bit))),
            (std::vector<uint8_t>{255, 255, 255, 17, 17, 17}));
}

TEST(DecodePngTest, GreyAlphaDropsAlpha) {
  const std::vector<uint8_t> ga = {10, 0, 200, 255};
  EXPECT_EQ(Rgb(Decode(EncodePng(2, 1, PNG_COLOR_TYPE_GRAY_ALPHA, 8, ga))), (std::vector<uint8_t>{10, 10, 10, 200, 200, 200}));
}

TEST(DecodePngTest, PaletteIndicesPastAShortPaletteAreGreyAsInPillow) {
  const std::vector<png_color> palette = {{255, 0, 0}, {0, 255, 0}};
  const std::vector<uint8_t> idx = {0, 1, 7, 200};
  EXPECT_EQ(Rgb(Decode(EncodePng(4, 1, PNG_COLOR_TYPE_PALETTE, 8, idx, palette))),
            (std::vector<uint8_t>{255, 0, 0, 0, 255, 0, 7, 7, 7, 200, 200, 200}));
}

TEST(DecodePngTest, FormatComesFromTheBytesNotTheName) {
  const auto rgb = RandomBytes(3 * 2 * 3, 4);
  EXPECT_EQ(Decode(EncodePng(3, 2, PNG_COLOR_TYPE_RGB, 8, rgb), "photo.jpg").rgb, rgb);
}

// ---- JPEG ------------------------------------------------------------------------------------------

TEST(DecodeJpegTest, RgbIsWhatLibjpegDecodes) {
  const auto jpeg = EncodeJpeg(33, 17, 3, RandomBytes(33 * 17 * 3, 5));
  int components = 0;
  EXPECT_EQ(Decode(jpeg).rgb, testing::LibjpegSamples(jpeg, components));
  const auto progressive = EncodeJpeg(33, 17, 3, RandomBytes(33 * 17 * 3, 5), 80, true);
  EXPECT_EQ(Decode(progressive).rgb, testing::LibjpegSamples(progressive, components));
}

TEST(DecodeJpegTest, CameraFeaturesDecodeAsLibjpegDoes) {
  // Restart markers, arithmetic coding, 4:1:1, 4:4:0 and 4:4:4: all libjpeg's business, with the
  // settings Pillow uses; the suspending source must not get in the way.
  const auto rgb = RandomBytes(75 * 41 * 3, 22);
  for (const testing::JpegOptions& o :
       {testing::JpegOptions{false, false, 1, 2, 2}, testing::JpegOptions{false, true, 0, 2, 2},
        testing::JpegOptions{true, true, 2, 2, 1}, testing::JpegOptions{false, false, 0, 4, 1},
        testing::JpegOptions{false, false, 3, 1, 2}, testing::JpegOptions{true, false, 0, 1, 1}}) {
    const auto jpeg = EncodeJpeg(75, 41, 3, rgb, 85, false, o);
    int components = 0;
    EXPECT_EQ(Decode(jpeg).rgb, testing::LibjpegSamples(jpeg, components))
        << "progressive " << o.progressive << " arithmetic " << o.arithmetic << " restart " << o.restart_rows
        << " sampling " << o.h_sampling << "x" << o.v_sampling;
  }
}

TEST(DecodeJpegTest, GreyIsReplicated) {
  const auto jpeg = EncodeJpeg(9, 4, 1, RandomBytes(9 * 4, 6));
  int components = 0;
  const auto grey = testing::LibjpegSamples(jpeg, components);
  const Image img = Decode(jpeg);
  for (size_t i = 0; i < grey.size(); ++i) {
    EXPECT_EQ(img.rgb[3 * i], grey[i]);
    EXPECT_EQ(img.rgb[3 * i + 2], grey[i]);
  }
}

TEST(DecodeJpegTest, FourComponentsAreAdobeInvertedCmyk) {
  // Pillow reads every 4-component JPEG as "CMYK;I": samples inverted, then cmyk2rgb.
  const auto jpeg = EncodeJpeg(8, 8, 4, RandomBytes(8 * 8 * 4, 7), 95);
  int components = 0;
  const auto cmyk = testing::LibjpegSamples(jpeg, components);
  ASSERT_EQ(components, 4);
  const Image img = Decode(jpeg);
  for (size_t i = 0; i < 64; ++i) {
    const int k = 255 - cmyk[4 * i + 3];
    const int nk = 255 - k;
    for (int c = 0; c < 3; ++c) {
      const int v = 255 - cmyk[4 * i + static_cast<size_t>(c)];
      const int tmp = v * nk + 128;
      const int expected = std::clamp(nk - (((tmp >> 8) + tmp) >> 8), 0, 255);
      EXPECT_EQ(img.rgb[3 * i + static_cast<size_t>(c)], expected) << "pixel " << i << " channel " << c;
    }
  }
}

TEST(DecodeJpegTest, ExifOrientationOnlyWhenAsked) {
  const auto rgb = RandomBytes(6 * 4 * 3, 8);
  const auto jpeg = testing::WithExifOrientation(EncodeJpeg(6, 4, 3, rgb, 100), 6);
  const Image plain = Decode(jpeg);
  EXPECT_EQ(plain.width, 6);
  EXPECT_EQ(plain.height, 4);
  const Image turned = Decode(jpeg, "rotated.jpg", true);
  EXPECT_EQ(turned.width, 4);
  EXPECT_EQ(turned.height, 6);
  // Orientation 6 is Pillow's ROTATE_270: output (r, c) comes from source (h - 1 - c, r).
  for (int r = 0; r < 6; ++r) {
    for (int c = 0; c < 4; ++c) {
      for (int ch = 0; ch < 3; ++ch) {
        ASSERT_EQ(turned.rgb[(static_cast<size_t>(r) * 4 + c) * 3 + ch],
                  plain.rgb[(static_cast<size_t>(3 - c) * 6 + r) * 3 + ch]);
      }
    }
  }
}

TEST(DecodeJpegTest, TrailingBytesAfterTheImageAreIgnored) {
  auto jpeg = EncodeJpeg(8, 8, 3, RandomBytes(8 * 8 * 3, 9));
  const Image expected = Decode(jpeg);
  jpeg.insert(jpeg.end(), {'j', 'u', 'n', 'k'});
  EXPECT_EQ(Decode(jpeg).rgb, expected.rgb);
}

// ---- GIF, BMP, WebP ---------------------------------------------------------------------------------

TEST(DecodeGifTest, FrameOnALargerScreenFillsTheRestWithIndexZeroOrTheTransparentIndex) {
  const std::vector<uint8_t> palette = {10, 20, 30, 40, 50, 60, 70, 80, 90, 1, 2, 3};
  const std::vector<uint8_t> frame = {1, 2, 2, 1};
  const Image plain = Decode(EncodeGif(3, 3, 1, 1, 2, 2, frame, palette));
  ASSERT_EQ(plain.width, 3);
  ASSERT_EQ(plain.height, 3);
  EXPECT_EQ(std::vector<uint8_t>(plain.rgb.begin(), plain.rgb.begin() + 3), (std::vector<uint8_t>{10, 20, 30}));
  EXPECT_EQ(std::vector<uint8_t>(plain.rgb.begin() + 12, plain.rgb.begin() + 15), (std::vector<uint8_t>{40, 50, 60}));
  const Image transparent = Decode(EncodeGif(3, 3, 1, 1, 2, 2, frame, palette, 3));
  EXPECT_EQ(std::vector<uint8_t>(transparent.rgb.begin(), transparent.rgb.begin() + 3), (std::vector<uint8_t>{1, 2, 3}));
}

TEST(DecodeGifTest, IndicesPastTheColourTableAreGrey) {
  const std::vector<uint8_t> palette = {255, 0, 0, 0, 0, 255};
  const Image img = Decode(EncodeGif(2, 1, 0, 0, 2, 1, {1, 9}, palette));
  EXPECT_EQ(img.rgb, (std::vector<uint8_t>{0, 0, 255, 9, 9, 9}));
}

TEST(DecodeBmpTest, TwentyFourBitIsBottomUpBgr) {
  const auto rgb = RandomBytes(5 * 3 * 3, 10);
  EXPECT_EQ(Decode(EncodeBmp(5, 3, 24, rgb)).rgb, rgb);
}

TEST(DecodeBmpTest, EightBitPaletteAndPillowsGreyRampRule) {
  const std::vector<uint8_t> palette = {9, 8, 7, 200, 100, 0};
  EXPECT_EQ(Decode(EncodeBmp(3, 1, 8, {1, 0, 1}, palette)).rgb, (std::vector<uint8_t>{200, 100, 0, 9, 8, 7, 200, 100, 0}));
  // A palette that is exactly black and white makes Pillow read one *bit* per pixel (mode "1"),
  // whatever the depth: the first row byte 0b10000001 gives white, then black.
  const std::vector<uint8_t> bw = {0, 0, 0, 255, 255, 255};
  EXPECT_EQ(Decode(EncodeBmp(2, 1, 8, {0x81, 0}, bw)).rgb, (std::vector<uint8_t>{255, 255, 255, 0, 0, 0}));
}

TEST(DecodeWebpTest, LosslessRoundTrips) {
  const auto rgb = RandomBytes(11 * 7 * 3, 11);
  EXPECT_EQ(Decode(testing::EncodeWebpLossless(11, 7, rgb)).rgb, rgb);
}

// ---- TIFF ------------------------------------------------------------------------------------------

// A small uncompressed TIFF written by libtiff into a temporary file, returned as bytes.
std::vector<uint8_t> EncodeTiff(int width, int height, int samples, int bits, int photometric,
                                const std::vector<uint8_t>& data, int orientation = 0) {
  const auto path = std::filesystem::temp_directory_path() / ("vit_decode_test_" + std::to_string(::getpid()) + ".tif");
  TIFF* tif = TIFFOpen(path.c_str(), "w");
  TIFFSetField(tif, TIFFTAG_IMAGEWIDTH, static_cast<uint32_t>(width));
  TIFFSetField(tif, TIFFTAG_IMAGELENGTH, static_cast<uint32_t>(height));
  TIFFSetField(tif, TIFFTAG_SAMPLESPERPIXEL, static_cast<uint16_t>(samples));
  TIFFSetField(tif, TIFFTAG_BITSPERSAMPLE, static_cast<uint16_t>(bits));
  TIFFSetField(tif, TIFFTAG_PHOTOMETRIC, static_cast<uint16_t>(photometric));
  TIFFSetField(tif, TIFFTAG_PLANARCONFIG, static_cast<uint16_t>(PLANARCONFIG_CONTIG));
  TIFFSetField(tif, TIFFTAG_ROWSPERSTRIP, static_cast<uint32_t>(height));
  if (orientation > 0) TIFFSetField(tif, TIFFTAG_ORIENTATION, static_cast<uint16_t>(orientation));
  const size_t row = static_cast<size_t>(width) * samples * bits / 8;
  std::vector<uint8_t> copy = data;
  for (int y = 0; y < height; ++y) TIFFWriteScanline(tif, copy.data() + y * row, static_cast<uint32_t>(y), 0);
  TIFFClose(tif);
  std::ifstream in(path, std::ios::binary);
  std::vector<uint8_t> bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  std::filesystem::remove(path);
  return bytes;
}

TEST(DecodeTiffTest, SixteenBitGreyClipsLikePillowsModeI16) {
  const std::vector<uint16_t> values = {0, 100, 256, 1000};
  std::vector<uint8_t> data(8);
  std::memcpy(data.data(), values.data(), 8);  // libtiff writes native (little-endian) order
  EXPECT_EQ(Decode(EncodeTiff(4, 1, 1, 16, PHOTOMETRIC_MINISBLACK, data)).rgb,
            (std::vector<uint8_t>{0, 0, 0, 100, 100, 100, 255, 255, 255, 255, 255, 255}));
}

TEST(DecodeTiffTest, MinIsWhiteIsInverted) {
  EXPECT_EQ(Decode(EncodeTiff(2, 1, 1, 8, PHOTOMETRIC_MINISWHITE, {0, 200})).rgb,
            (std::vector<uint8_t>{255, 255, 255, 55, 55, 55}));
}

TEST(DecodeTiffTest, OrientationIsAppliedOnLoadAndAgainByExifTranspose) {
  // Pillow 9.4 turns a TIFF by its Orientation tag while loading it, and exif_transpose then finds the
  // tag again: orientation 6 (a quarter turn) happens once without and twice with exif_transpose.
  const auto rgb = RandomBytes(3 * 2 * 3, 21);
  const auto tiff = EncodeTiff(3, 2, 3, 8, PHOTOMETRIC_RGB, rgb, 6);
  const Image once = Decode(tiff);
  EXPECT_EQ(once.width, 2);
  EXPECT_EQ(once.height, 3);
  Image plain{3, 2, rgb};
  EXPECT_EQ(once.rgb, ApplyOrientation(plain, 6).rgb);
  const Image twice = Decode(tiff, "t.tif", true);
  EXPECT_EQ(twice.width, 3);
  EXPECT_EQ(twice.rgb, ApplyOrientation(ApplyOrientation(plain, 6), 6).rgb);
}

// ---- Bad input --------------------------------------------------------------------------------------

TEST(DecodeErrorsTest, EmptyAndNonImages) {
  ExpectRefused({}, "empty.jpg", "empty file (0 bytes)");
  const std::string text = "just some text, no picture\n";
  ExpectRefused(std::vector<uint8_t>(text.begin(), text.end()), "notes.png", "not an image");
  ExpectRefused(RandomBytes(1000, 12), "noise.bin", "not an image");
}

TEST(DecodeErrorsTest, OtherFormatsAreUnsupported) {
  const std::string qoi = "qoif\0\0\0\4\0\0\0\4\3\0";
  ExpectRefused(std::vector<uint8_t>(qoi.begin(), qoi.end()), "x.qoi", "QOI images are not supported",
                ErrorKind::kUnsupported);
}

TEST(DecodeErrorsTest, TruncatedJpegs) {
  const auto jpeg = EncodeJpeg(64, 48, 3, RandomBytes(64 * 48 * 3, 13));
  ExpectRefused(std::vector<uint8_t>(jpeg.begin(), jpeg.begin() + static_cast<std::ptrdiff_t>(jpeg.size() / 2)),
                "half.jpg", "truncated JPEG");
  ExpectRefused(std::vector<uint8_t>(jpeg.begin(), jpeg.begin() + 200), "header.jpg", "truncated JPEG");
  ExpectRefused({0xFF, 0xD8, 0xFF}, "soi.jpg", "truncated JPEG");
  // Only the EOI marker missing: libjpeg's bit reader asks for more, so Pillow (and vit) refuse it.
  ExpectRefused(std::vector<uint8_t>(jpeg.begin(), jpeg.end() - 2), "no_eoi.jpg", "truncated JPEG");
  const auto progressive = EncodeJpeg(64, 48, 3, RandomBytes(64 * 48 * 3, 13), 90, true);
  ExpectRefused(std::vector<uint8_t>(progressive.begin(), progressive.end() - 2), "no_eoi_progressive.jpg",
                "truncated JPEG");
}

TEST(DecodeErrorsTest, CorruptJpegMarkers) {
  auto jpeg = EncodeJpeg(16, 16, 3, RandomBytes(16 * 16 * 3, 14));
  // A 12-bit sample precision in the frame header: this libjpeg-turbo (like Pillow) handles 8 only.
  for (size_t i = 2; i + 4 < jpeg.size(); ++i) {
    if (jpeg[i] == 0xFF && jpeg[i + 1] == 0xC0) {
      jpeg[i + 4] = 12;
      break;
    }
  }
  ExpectRefused(jpeg, "bad_sof.jpg", "corrupt JPEG");
}

TEST(DecodeErrorsTest, BrokenPngs) {
  const auto png = EncodePng(8, 8, PNG_COLOR_TYPE_RGB, 8, RandomBytes(8 * 8 * 3, 15));
  ExpectRefused(std::vector<uint8_t>(png.begin(), png.begin() + 8), "sig.png", "truncated PNG");
  ExpectRefused(std::vector<uint8_t>(png.begin(), png.begin() + static_cast<std::ptrdiff_t>(png.size() - 30)),
                "cut.png", "truncated");
  auto bad_crc = png;
  bad_crc[29] ^= 0xFF;  // the IHDR CRC
  ExpectRefused(bad_crc, "crc.png", "bad checksum in chunk IHDR");
}

TEST(DecodeErrorsTest, ZeroSizeAndDecompressionBombsAreRefusedFromTheHeader) {
  // IHDR only: the pixel data is never looked at, so a tiny file can claim any size.
  auto header = [](uint32_t w, uint32_t h) {
    std::vector<uint8_t> v = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1A, '\n', 0, 0, 0, 13, 'I', 'H', 'D', 'R'};
    for (const uint32_t x : {w, h}) {
      for (int s = 24; s >= 0; s -= 8) v.push_back(static_cast<uint8_t>(x >> s));
    }
    v.insert(v.end(), {8, 2, 0, 0, 0});
    const uint32_t crc = static_cast<uint32_t>(crc32(0, v.data() + 12, 17));
    for (int s = 24; s >= 0; s -= 8) v.push_back(static_cast<uint8_t>(crc >> s));
    return v;
  };
  ExpectRefused(header(0, 10), "zero.png", "no pixels (0x10)");
  ExpectRefused(header(20000, 20000), "bomb.png", "decompression-bomb limit of 178956970");
  // Exactly at the limit passes the size check (and then fails for want of data).
  const Error at_limit = DecodeError(header(178956970, 1), "limit.png");
  EXPECT_EQ(std::string(at_limit.what()).find("decompression-bomb"), std::string::npos) << at_limit.what();
  ExpectRefused(header(178956971, 1), "over.png", "decompression-bomb");
  ExpectRefused(EncodeGif(40000, 40000, 0, 0, 1, 1, {0}, {0, 0, 0, 255, 255, 255}), "bomb.gif",
                "decompression-bomb");
  auto bmp = EncodeBmp(1, 1, 24, {1, 2, 3});
  bmp[18] = 0x30;  // width 0x7530 = 30000
  bmp[19] = 0x75;
  bmp[22] = 0x30;
  bmp[23] = 0x75;
  ExpectRefused(bmp, "bomb.bmp", "decompression-bomb");
}

TEST(DecodeErrorsTest, TruncatedAndUnsupportedBmps) {
  const auto bmp = EncodeBmp(10, 10, 24, RandomBytes(300, 16));
  ExpectRefused(std::vector<uint8_t>(bmp.begin(), bmp.begin() + 20), "head.bmp", "truncated BMP");
  ExpectRefused(std::vector<uint8_t>(bmp.begin(), bmp.begin() + 200), "cut.bmp", "truncated BMP");
  auto jpeg_in_bmp = bmp;
  jpeg_in_bmp[30] = 4;  // BI_JPEG
  ExpectRefused(jpeg_in_bmp, "jpeg.bmp", "unsupported BMP compression (4)", ErrorKind::kUnsupported);
  auto odd_depth = bmp;
  odd_depth[28] = 7;
  ExpectRefused(odd_depth, "depth.bmp", "unsupported BMP pixel depth (7 bits)", ErrorKind::kUnsupported);
}

TEST(DecodeErrorsTest, TruncatedGifWebpTiff) {
  const auto gif = EncodeGif(20, 20, 0, 0, 20, 20, RandomBytes(400, 17), RandomBytes(768, 18));
  ExpectRefused(std::vector<uint8_t>(gif.begin(), gif.begin() + 13), "head.gif", "GIF");
  ExpectRefused(std::vector<uint8_t>(gif.begin(), gif.begin() + static_cast<std::ptrdiff_t>(gif.size() / 2)), "cut.gif",
                "corrupt or truncated GIF");
  const auto webp = testing::EncodeWebpLossless(32, 32, RandomBytes(32 * 32 * 3, 19));
  ExpectRefused(std::vector<uint8_t>(webp.begin(), webp.begin() + static_cast<std::ptrdiff_t>(webp.size() / 2)),
                "cut.webp", "WebP");
  const std::vector<uint8_t> tiff_head = {'I', 'I', 42, 0, 8, 0, 0, 0};
  ExpectRefused(tiff_head, "head.tif", "corrupt or truncated TIFF");
}

TEST(LoadImageTest, MissingFilesAndFolders) {
  try {
    LoadImage("/nonexistent/picture.jpg");
    ADD_FAILURE() << "no error";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::kNotFound);
    EXPECT_NE(std::string(e.what()).find("/nonexistent/picture.jpg"), std::string::npos);
  }
  try {
    LoadImage(std::filesystem::temp_directory_path());
    ADD_FAILURE() << "no error";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::kInvalidArgument);
  }
}

TEST(LoadImageTest, ReadsAFileAndNamesItInErrors) {
  const auto dir = std::filesystem::temp_directory_path() / ("vit_decode_test_" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  const auto rgb = RandomBytes(4 * 4 * 3, 20);
  const auto png = EncodePng(4, 4, PNG_COLOR_TYPE_RGB, 8, rgb);
  std::ofstream(dir / "ok.png", std::ios::binary).write(reinterpret_cast<const char*>(png.data()), static_cast<std::streamsize>(png.size()));
  std::ofstream(dir / "bad.png", std::ios::binary).write("nope", 4);
  EXPECT_EQ(LoadImage(dir / "ok.png").rgb, rgb);
  try {
    LoadImage(dir / "bad.png");
    ADD_FAILURE() << "no error";
  } catch (const Error& e) {
    EXPECT_EQ(std::string(e.what()).rfind((dir / "bad.png").string() + ": ", 0), 0u) << e.what();
  }
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace vit::image
