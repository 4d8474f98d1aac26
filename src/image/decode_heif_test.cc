// HEIC and AVIF files encoded here with libheif (x265, libaom; Debian's libaom aborts on 10-bit input,
// so the 10-bit case is HEVC), decoded by vit::DecodeImage and checked
// against libheif's own decode with pillow-heif's options, and against the source picture.
#include <gtest/gtest.h>
#include <libheif/heif.h>

#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "image/image_testing.h"
#include "vit/error.h"
#include "vit/image.h"

// x265's encoder keeps some of its allocations until the process ends; LeakSanitizer (the ASan build of
// scripts/test) would fail every test that encodes HEVC here. Only the encoder's leaks are excused.
extern "C" const char* __lsan_default_suppressions() { return "leak:libx265.so\n"; }

namespace vit {
namespace {

struct Encoded {
  std::vector<uint8_t> bytes;
  std::vector<uint16_t> source;  // channels samples per pixel, row-major
};

// A width x height picture of gradients, `channels` 3 or 4, at `depth` bits, encoded by `format`,
// with irot/imir boxes for `orientation`; with `primary_second`, a 16x8 image goes first in the file and
// the picture is marked primary.
Encoded Encode(heif_compression_format format, int width, int height, int channels, int depth,
               heif_orientation orientation = heif_orientation_normal, bool primary_second = false) {
  Encoded out;
  heif_context* ctx = heif_context_alloc();
  heif_encoder* encoder = nullptr;
  if (heif_context_get_encoder_for_format(ctx, format, &encoder).code != heif_error_Ok) {
    heif_context_free(ctx);
    return out;
  }
  const heif_chroma chroma = depth == 8 ? (channels == 4 ? heif_chroma_interleaved_RGBA : heif_chroma_interleaved_RGB)
                                        : (channels == 4 ? heif_chroma_interleaved_RRGGBBAA_LE
                                                         : heif_chroma_interleaved_RRGGBB_LE);
  heif_image* image = nullptr;
  heif_image_create(width, height, heif_colorspace_RGB, chroma, &image);
  heif_image_add_plane(image, heif_channel_interleaved, width, height, depth);
  int stride = 0;
  uint8_t* plane = heif_image_get_plane(image, heif_channel_interleaved, &stride);
  const int max = (1 << depth) - 1;
  for (int y = 0; y < height; ++y) {
    for (int x = 0; x < width; ++x) {
      const int v[4] = {x * max / (width - 1), y * max / (height - 1), (x + y) * max / (width + height - 2),
                        max - x * max / (width - 1)};
      for (int c = 0; c < channels; ++c) {
        out.source.push_back(static_cast<uint16_t>(v[c]));
        if (depth == 8) {
          plane[y * stride + x * channels + c] = static_cast<uint8_t>(v[c]);
        } else {
          const uint16_t s = static_cast<uint16_t>(v[c]);
          std::memcpy(plane + y * stride + (x * channels + c) * 2, &s, 2);
        }
      }
    }
  }
  heif_encoder_set_lossy_quality(encoder, 90);
  heif_encoder_set_parameter(encoder, format == heif_compression_HEVC ? "preset" : "speed",
                             format == heif_compression_HEVC ? "ultrafast" : "9");
  if (primary_second) {
    heif_image* first = nullptr;
    heif_image_create(16, 8, heif_colorspace_RGB, heif_chroma_interleaved_RGB, &first);
    heif_image_add_plane(first, heif_channel_interleaved, 16, 8, 8);
    int first_stride = 0;
    uint8_t* first_plane = heif_image_get_plane(first, heif_channel_interleaved, &first_stride);
    for (int y = 0; y < 8; ++y) std::memset(first_plane + y * first_stride, 40, 16 * 3);
    heif_context_encode_image(ctx, first, encoder, nullptr, nullptr);
    heif_image_release(first);
  }
  heif_encoding_options* options = heif_encoding_options_alloc();
  options->image_orientation = orientation;
  heif_image_handle* handle = nullptr;
  const bool encoded = heif_context_encode_image(ctx, image, encoder, options, &handle).code == heif_error_Ok;
  heif_encoding_options_free(options);
  if (encoded && primary_second) heif_context_set_primary_image(ctx, handle);
  if (encoded) {
    heif_writer writer;
    writer.writer_api_version = 1;
    writer.write = [](heif_context*, const void* data, size_t size, void* user) {
      auto* v = static_cast<std::vector<uint8_t>*>(user);
      v->insert(v->end(), static_cast<const uint8_t*>(data), static_cast<const uint8_t*>(data) + size);
      return heif_error{heif_error_Ok, heif_suberror_Unspecified, "ok"};
    };
    heif_context_write(ctx, &writer, &out.bytes);
    heif_image_handle_release(handle);
  }
  heif_image_release(image);
  heif_encoder_release(encoder);
  heif_context_free(ctx);
  return out;
}

// libheif's decode of the primary image as pillow-heif asks for it, alpha dropped.
std::vector<uint8_t> ReferenceRgb(const std::vector<uint8_t>& bytes) {
  heif_context* ctx = heif_context_alloc();
  heif_context_read_from_memory_without_copy(ctx, bytes.data(), bytes.size(), nullptr);
  heif_image_handle* handle = nullptr;
  heif_context_get_primary_image_handle(ctx, &handle);
  const bool alpha = heif_image_handle_has_alpha_channel(handle);
  heif_decoding_options* options = heif_decoding_options_alloc();
  options->convert_hdr_to_8bit = 1;
  heif_image* image = nullptr;
  heif_decode_image(handle, &image, heif_colorspace_RGB,
                    alpha ? heif_chroma_interleaved_RGBA : heif_chroma_interleaved_RGB, options);
  int stride = 0;
  const uint8_t* p = heif_image_get_plane_readonly(image, heif_channel_interleaved, &stride);
  const int w = heif_image_get_width(image, heif_channel_interleaved);
  const int h = heif_image_get_height(image, heif_channel_interleaved);
  std::vector<uint8_t> rgb;
  for (int y = 0; y < h; ++y) {
    for (int x = 0; x < w; ++x) {
      for (int c = 0; c < 3; ++c) rgb.push_back(p[y * stride + x * (alpha ? 4 : 3) + c]);
    }
  }
  heif_image_release(image);
  heif_decoding_options_free(options);
  heif_image_handle_release(handle);
  heif_context_free(ctx);
  return rgb;
}

void CheckFile(heif_compression_format format, int channels, int depth, const char* name) {
  constexpr int kWidth = 48, kHeight = 32;
  const Encoded encoded = Encode(format, kWidth, kHeight, channels, depth);
  if (encoded.bytes.empty()) GTEST_SKIP() << "this libheif cannot encode " << name;
  if (depth > 8) {
    heif_context* ctx = heif_context_alloc();
    heif_context_read_from_memory_without_copy(ctx, encoded.bytes.data(), encoded.bytes.size(), nullptr);
    heif_image_handle* handle = nullptr;
    heif_context_get_primary_image_handle(ctx, &handle);
    const int bits = heif_image_handle_get_luma_bits_per_pixel(handle);
    heif_image_handle_release(handle);
    heif_context_free(ctx);
    if (bits != depth) GTEST_SKIP() << "the encoder wrote " << bits << " bits, not " << depth;
  }
  const Image image = DecodeImage(encoded.bytes, name);
  ASSERT_EQ(image.width, kWidth);
  ASSERT_EQ(image.height, kHeight);
  EXPECT_EQ(image.rgb, ReferenceRgb(encoded.bytes)) << name;
  // Lossy, but the picture and its channel order survive: a small mean error against the source.
  double error = 0;
  for (size_t i = 0; i < static_cast<size_t>(kWidth * kHeight); ++i) {
    for (size_t c = 0; c < 3; ++c) {
      const double source = encoded.source[i * static_cast<size_t>(channels) + c] / double((1 << depth) - 1) * 255;
      error += std::abs(image.rgb[i * 3 + c] - source);
    }
  }
  EXPECT_LT(error / (kWidth * kHeight * 3), 6.0) << name;
  // --exif-transpose changes nothing: libheif has applied the file's own transformations.
  DecodeOptions options;
  options.exif_transpose = true;
  EXPECT_EQ(DecodeImage(encoded.bytes, name, options).rgb, image.rgb);
}

TEST(DecodeHeifTest, HeicRgb) { CheckFile(heif_compression_HEVC, 3, 8, "t.heic"); }
TEST(DecodeHeifTest, HeicAlphaIsDropped) { CheckFile(heif_compression_HEVC, 4, 8, "t.heic"); }
TEST(DecodeHeifTest, AvifRgb) { CheckFile(heif_compression_AV1, 3, 8, "t.avif"); }
TEST(DecodeHeifTest, AvifAlphaIsDropped) { CheckFile(heif_compression_AV1, 4, 8, "t.avif"); }
TEST(DecodeHeifTest, Heic10BitIsNarrowedTo8) { CheckFile(heif_compression_HEVC, 3, 10, "t.heic"); }

// irot/imir are applied as libheif (and so pillow-heif) applies them: a quarter turn swaps the sides.
TEST(DecodeHeifTest, FileTransformationsAreApplied) {
  const Encoded encoded = Encode(heif_compression_HEVC, 48, 32, 3, 8, heif_orientation_rotate_90_cw);
  if (encoded.bytes.empty()) GTEST_SKIP() << "this libheif cannot encode HEIC";
  const Image image = DecodeImage(encoded.bytes, "r.heic");
  ASSERT_EQ(image.width, 32);
  ASSERT_EQ(image.height, 48);
  EXPECT_EQ(image.rgb, ReferenceRgb(encoded.bytes));
  // Rotated clockwise: the source's bottom-left corner (green at its maximum) is now top-left.
  EXPECT_GT(image.rgb[1], 200);
  EXPECT_LT(image.rgb[0], 60);
}

TEST(DecodeHeifTest, ThePrimaryImageIsDecoded) {
  const Encoded encoded = Encode(heif_compression_AV1, 48, 32, 3, 8, heif_orientation_normal, true);
  if (encoded.bytes.empty()) GTEST_SKIP() << "this libheif cannot encode AVIF";
  const Image image = DecodeImage(encoded.bytes, "p.avif");
  EXPECT_EQ(image.width, 48);
  EXPECT_EQ(image.height, 32);
  EXPECT_EQ(image.rgb, ReferenceRgb(encoded.bytes));
}

TEST(DecodeHeifTest, BadFilesAreRefusedNamingTheFile) {
  const Encoded encoded = Encode(heif_compression_AV1, 48, 32, 3, 8);
  if (encoded.bytes.empty()) GTEST_SKIP() << "this libheif cannot encode AVIF";
  std::vector<uint8_t> cut(encoded.bytes.begin(), encoded.bytes.begin() + encoded.bytes.size() / 2);
  std::string message = image::testing::DecodeRefusal(cut, "cut.avif");
  EXPECT_NE(message.find("cut.avif: AVIF image:"), std::string::npos) << message;
  std::vector<uint8_t> header_only(encoded.bytes.begin(), encoded.bytes.begin() + 40);
  message = image::testing::DecodeRefusal(header_only, "short.avif");
  EXPECT_NE(message.find("short.avif: AVIF image"), std::string::npos) << message;
  std::vector<uint8_t> mp4 = {0, 0, 0, 16, 'f', 't', 'y', 'p', 'i', 's', 'o', 'm', 0, 0, 0, 0};
  message = image::testing::DecodeRefusal(mp4, "v.mp4");
  EXPECT_NE(message.find("v.mp4: ISO media (MP4, QuickTime; no HEIF or AVIF brand) images are not supported"),
            std::string::npos)
      << message;
}

}  // namespace
}  // namespace vit
