// HEIF (HEIC: HEVC inside) and AVIF (AV1 inside) through libheif, which Pillow 9.4 cannot open: the
// picture pillow-heif's Pillow plugin gives with its default options. That is the primary image,
// decoded by libheif to interleaved 8-bit RGB (RGBA when the image has alpha, which convert("RGB") then
// drops: never composited), 10- and 12-bit images narrowed to 8 bits by libheif (convert_hdr_to_8bit),
// the file's own rotation, mirroring and cropping (irot, imir, clap) applied by libheif, and the
// colour profile left as the file states it. Because those transformations are already applied,
// pillow-heif resets the EXIF orientation to 1, so --exif-transpose changes nothing here either.
#include <libheif/heif.h>

#include <cstring>
#include <memory>
#include <string>
#include <string_view>

#include "image/decoders.h"
#include "image/pil_convert.h"

namespace vit::image {
namespace {

struct ContextDeleter {
  void operator()(heif_context* c) const { heif_context_free(c); }
};
struct HandleDeleter {
  void operator()(heif_image_handle* h) const { heif_image_handle_release(h); }
};
struct ImageDeleter {
  void operator()(heif_image* i) const { heif_image_release(i); }
};
struct OptionsDeleter {
  void operator()(heif_decoding_options* o) const { heif_decoding_options_free(o); }
};

const char* KindName(std::span<const uint8_t> bytes) {
  return bytes.size() >= 12 && (std::memcmp(&bytes[8], "avif", 4) == 0 || std::memcmp(&bytes[8], "avis", 4) == 0)
             ? "AVIF"
             : "HEIF";
}

}  // namespace

bool LooksLikeHeif(std::span<const uint8_t> bytes) {
  if (bytes.size() < 12 || std::memcmp(&bytes[4], "ftyp", 4) != 0) return false;
  const std::string_view brand(reinterpret_cast<const char*>(&bytes[8]), 4);
  for (const char* known : {"heic", "heix", "heim", "heis", "hevc", "hevx", "hevm", "hevs", "mif1", "msf1", "avif",
                            "avis"}) {
    if (brand == known) return true;
  }
  return false;
}

Decoded DecodeHeif(const DecodeContext& ctx) {
  static const bool initialised = [] {
    heif_init(nullptr);
    return true;
  }();
  (void)initialised;
  const std::string kind = KindName(ctx.bytes());
  const auto fail = [&](const std::string& what, heif_error err, ErrorKind error_kind = ErrorKind::kInvalidInput) {
    if (err.code == heif_error_Unsupported_feature || err.code == heif_error_Unsupported_filetype) {
      error_kind = ErrorKind::kUnsupported;
    }
    ctx.Fail(kind + " image: " + what + " (libheif: " + (err.message ? err.message : "unknown error") + ")",
             error_kind);
  };
  const std::unique_ptr<heif_context, ContextDeleter> context(heif_context_alloc());
  if (!context) ctx.Fail("libheif could not start", ErrorKind::kInternal);
  heif_error err =
      heif_context_read_from_memory_without_copy(context.get(), ctx.bytes().data(), ctx.bytes().size(), nullptr);
  if (err.code != heif_error_Ok) fail("corrupt or unreadable file", err);
  if (heif_context_get_number_of_top_level_images(context.get()) < 1) {
    ctx.Fail(kind + " file has no image", ErrorKind::kInvalidInput);
  }
  heif_image_handle* raw_handle = nullptr;
  err = heif_context_get_primary_image_handle(context.get(), &raw_handle);
  if (err.code != heif_error_Ok) fail("no primary image", err);
  const std::unique_ptr<heif_image_handle, HandleDeleter> handle(raw_handle);
  // The size after transformations (a 90-degree irot swaps it), checked before anything is decoded.
  ctx.CheckSize(heif_image_handle_get_width(handle.get()), heif_image_handle_get_height(handle.get()));

  const bool alpha = heif_image_handle_has_alpha_channel(handle.get()) != 0;
  const std::unique_ptr<heif_decoding_options, OptionsDeleter> options(heif_decoding_options_alloc());
  options->convert_hdr_to_8bit = 1;
  heif_image* raw_image = nullptr;
  err = heif_decode_image(handle.get(), &raw_image, heif_colorspace_RGB,
                          alpha ? heif_chroma_interleaved_RGBA : heif_chroma_interleaved_RGB, options.get());
  if (err.code == heif_error_Unsupported_feature && err.subcode == heif_suberror_Unsupported_codec) {
    fail("no decoder for its codec in this libheif", err, ErrorKind::kUnsupported);
  }
  if (err.code != heif_error_Ok) fail("undecodable image data", err);
  const std::unique_ptr<heif_image, ImageDeleter> image(raw_image);
  const int width = heif_image_get_width(image.get(), heif_channel_interleaved);
  const int height = heif_image_get_height(image.get(), heif_channel_interleaved);
  int stride = 0;
  const uint8_t* pixels = heif_image_get_plane_readonly(image.get(), heif_channel_interleaved, &stride);
  if (pixels == nullptr || heif_image_get_bits_per_pixel_range(image.get(), heif_channel_interleaved) != 8) {
    ctx.Fail(kind + " image: libheif returned no 8-bit RGB picture", ErrorKind::kInternal);
  }
  Decoded decoded;
  decoded.image = AllocateImage(ctx, width, height);
  const size_t row = static_cast<size_t>(width) * 3;
  for (int y = 0; y < height; ++y) {
    const uint8_t* in = pixels + static_cast<size_t>(y) * static_cast<size_t>(stride);
    uint8_t* out = decoded.image.rgb.data() + static_cast<size_t>(y) * row;
    if (alpha) {
      RgbaRowToRgb(in, static_cast<size_t>(width), out);
    } else {
      std::memcpy(out, in, row);
    }
  }
  return decoded;
}

}  // namespace vit::image
