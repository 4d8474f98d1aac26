// vit::DecodeImage / vit::LoadImage: sniff the format from the bytes, hand them to its decoder, and
// apply the EXIF orientation when asked (ImageOps.exif_transpose, as transformers' load_image does).
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <memory>
#include <new>
#include <stdexcept>

#include "image/decoders.h"
#include "image/exif.h"
#include "io/regular_file.h"
#include "vit/error.h"
#include "vit/image.h"

namespace vit {
namespace image {
namespace {

bool StartsWith(std::span<const uint8_t> bytes, std::string_view prefix, size_t at = 0) {
  return bytes.size() >= at + prefix.size() && std::memcmp(bytes.data() + at, prefix.data(), prefix.size()) == 0;
}

constexpr const char* kSupported =
    "JPEG, PNG, GIF, WebP, BMP, TIFF, PNM, TGA, ICO, CUR, DIB, PCX, SGI, XBM, JPEG 2000, DDS, PSD, HEIF/HEIC, AVIF, ICNS, XPM"
    ", FLI/FLC, BLP, FTEX, GBR, SPIDER"
    ", Sun raster, MSP"
    ", FITS, IM Tools, McIdas, PIXAR, XV thumbnails"
    ", Photo CD"
    ", DCX, IM";

// Formats Pillow opens that we deliberately do not: a clear "unsupported" beats "not an image".
const char* OtherKnownFormat(std::span<const uint8_t> bytes) {
  using namespace std::string_view_literals;
  if (StartsWith(bytes, "ftyp"sv, 4)) return "ISO media (MP4, QuickTime; no HEIF or AVIF brand)";
  if (StartsWith(bytes, "P7"sv)) return "PAM";
  // Pillow 9.4 opens IPTC/NAA files but cannot load their pixels (its loader writes to a temporary file
  // it opened read-only), so no file of them decodes.
  if (bytes.size() >= 2 && bytes[0] == 0x1C && bytes[1] >= 1 && bytes[1] <= 9) return "IPTC/NAA";
  if (StartsWith(bytes, "qoif"sv)) return "QOI";
  if (StartsWith(bytes, "%PDF"sv)) return "PDF";
  if (StartsWith(bytes, "%!PS"sv) || StartsWith(bytes, "\xc5\xd0\xd3\xc6"sv)) return "EPS";
  return nullptr;
}

bool LooksLikeIconDirectory(std::span<const uint8_t> bytes) {
  using namespace std::string_view_literals;
  if (!StartsWith(bytes, "\0\0\1\0"sv) && !StartsWith(bytes, "\0\0\2\0"sv)) return false;
  if (bytes.size() < 6) return false;
  const size_t count = bytes[4] | (size_t{bytes[5]} << 8);
  return count != 0 && (bytes.size() - 6) / 16 >= count;
}

}  // namespace

Format SniffFormat(std::span<const uint8_t> bytes) {
  using namespace std::string_view_literals;
  constexpr auto npos = std::string_view::npos;
  if (StartsWith(bytes, "\xff\xd8\xff"sv)) return Format::kJpeg;
  if (StartsWith(bytes, "\x89PNG\r\n\x1a\n"sv)) return Format::kPng;
  if (StartsWith(bytes, "GIF87a"sv) || StartsWith(bytes, "GIF89a"sv)) return Format::kGif;
  if (StartsWith(bytes, "RIFF"sv) && StartsWith(bytes, "WEBP"sv, 8)) return Format::kWebp;
  if (StartsWith(bytes, "BM"sv)) return Format::kBmp;
  if (bytes.size() >= 4 && bytes[1] == 0 && bytes[2] == 0 && bytes[3] == 0 &&
      (bytes[0] == 12 || bytes[0] == 40 || bytes[0] == 64 || bytes[0] == 108 || bytes[0] == 124)) {
    return Format::kDib;  // a bare info header, as Pillow's DIB plugin (tried right after BMP) accepts it
  }
  if (StartsWith(bytes, "MM\0\x2a"sv) || StartsWith(bytes, "II\x2a\0"sv) || StartsWith(bytes, "MM\x2a\0"sv) ||
      StartsWith(bytes, "II\0\x2a"sv) || StartsWith(bytes, "MM\0\x2b"sv) || StartsWith(bytes, "II\x2b\0"sv)) {
    return Format::kTiff;
  }
  if (bytes.size() >= 2 && bytes[0] == 'P' && std::string_view("0123456y").find(static_cast<char>(bytes[1])) != npos) {
    return Format::kPnm;  // Pillow's PPM _accept; P0 and Py are its own variants, which we refuse
  }
  // Pillow tries ICO and CUR before TGA, and goes on to TGA when their directory is empty or cut short.
  if (StartsWith(bytes, "\xff\x4f\xff\x51"sv) || StartsWith(bytes, "\0\0\0\x0cjP  \r\n\x87\n"sv)) {
    return Format::kJpeg2000;
  }
  if (LooksLikeHeif(bytes)) return Format::kHeif;
  if (StartsWith(bytes, "DDS "sv)) return Format::kDds;
  if (StartsWith(bytes, "8BPS"sv)) return Format::kPsd;
  if (LooksLikePcx(bytes)) return Format::kPcx;
  // Pillow's ID order: these after PCX and DDS, before SGI and TGA.
  if (LooksLikeBlp(bytes)) return Format::kBlp;
  if (LooksLikeFits(bytes)) return Format::kFits;
  if (LooksLikeFli(bytes)) return Format::kFli;
  if (LooksLikeFtex(bytes)) return Format::kFtex;
  if (LooksLikeGbr(bytes)) return Format::kGbr;
  if (LooksLikeIm(bytes)) return Format::kIm;  // no signature: Pillow tries it after ICO, before IM Tools
  if (LooksLikeImt(bytes)) return Format::kImt;
  if (LooksLikeMcIdas(bytes)) return Format::kMcIdas;
  if (LooksLikePixar(bytes)) return Format::kPixar;
  if (LooksLikeSgi(bytes)) return Format::kSgi;
  if (StartsWith(bytes, "\xb1\x68\xde\x3a"sv)) return Format::kDcx;
  if (StartsWith(bytes, "icns"sv)) return Format::kIcns;
  if (LooksLikeIconDirectory(bytes)) return bytes[2] == 1 ? Format::kIco : Format::kCur;
  if (StartsWith(bytes, "DanM"sv) || StartsWith(bytes, "LinS"sv)) return Format::kMsp;
  if (LooksLikePcd(bytes)) return Format::kPcd;  // no signature at the start: Pillow tries it after MSP
  if (LooksLikeSpider(bytes)) return Format::kSpider;  // no signature: Pillow tries it after SGI, before TGA
  if (StartsWith(bytes, "\x59\xa6\x6a\x95"sv)) return Format::kSun;
  if (LooksLikeTga(bytes)) return Format::kTga;
  if (LooksLikeXbm(bytes)) return Format::kXbm;  // Pillow tries XBM after TGA
  if (StartsWith(bytes, "/* XPM */"sv)) return Format::kXpm;
  if (LooksLikeXvThumb(bytes)) return Format::kXvThumb;
  return Format::kUnknown;
}

const char* FormatName(Format format) {
  switch (format) {
    case Format::kJpeg:
      return "JPEG";
    case Format::kPng:
      return "PNG";
    case Format::kGif:
      return "GIF";
    case Format::kWebp:
      return "WebP";
    case Format::kBmp:
      return "BMP";
    case Format::kTiff:
      return "TIFF";
    case Format::kPnm:
      return "PNM";
    case Format::kTga:
      return "TGA";
    case Format::kDib:
      return "DIB";
    case Format::kIco:
      return "ICO";
    case Format::kCur:
      return "CUR";
    case Format::kPcx:
      return "PCX";
    case Format::kSgi:
      return "SGI";
    case Format::kXbm:
      return "XBM";
    case Format::kJpeg2000:
      return "JPEG 2000";
    case Format::kHeif:
      return "HEIF";
    case Format::kDds:
      return "DDS";
    case Format::kPsd:
      return "PSD";
    case Format::kDcx:
      return "DCX";
    case Format::kIcns:
      return "ICNS";
    case Format::kIm:
      return "IM";
    case Format::kMsp:
      return "MSP";
    case Format::kSun:
      return "Sun raster";
    case Format::kXpm:
      return "XPM";
    case Format::kFli:
      return "FLI";
    case Format::kBlp:
      return "BLP";
    case Format::kFtex:
      return "FTEX";
    case Format::kGbr:
      return "GBR";
    case Format::kSpider:
      return "SPIDER";
    case Format::kFits:
      return "FITS";
    case Format::kImt:
      return "IMT";
    case Format::kMcIdas:
      return "MCIDAS";
    case Format::kPixar:
      return "PIXAR";
    case Format::kXvThumb:
      return "XVThumb";
    case Format::kPcd:
      return "PCD";
    case Format::kUnknown:
      break;
  }
  return "unknown";
}

void DecodeContext::Fail(const std::string& reason, ErrorKind kind) const { throw Error(name_ + ": " + reason, kind); }

void FailOutOfMemory(const DecodeContext& ctx) {
  ctx.Fail("not enough memory to decode the image (" + std::to_string(ctx.bytes().size()) + " bytes of " +
               FormatName(SniffFormat(ctx.bytes())) + ")",
           ErrorKind::kIo);
}

void DecodeContext::CheckSize(int64_t width, int64_t height) const {
  if (width <= 0 || height <= 0) {
    Fail("image has no pixels (" + std::to_string(width) + "x" + std::to_string(height) + ")");
  }
  if (width > kMaxImagePixels / height) {
    // Header fields reach 2^32 each, so the product itself may not fit in 64 bits.
    int64_t pixels = 0;
    const std::string count = __builtin_mul_overflow(width, height, &pixels) ? "over 2^63" : std::to_string(pixels);
    Fail("image is " + std::to_string(width) + "x" + std::to_string(height) + " = " + count +
         " pixels, over the decompression-bomb limit of " + std::to_string(kMaxImagePixels) +
         " pixels that Pillow enforces");
  }
}

Image AllocateImage(const DecodeContext& ctx, int64_t width, int64_t height) {
  ctx.CheckSize(width, height);
  Image image;
  image.width = static_cast<int>(width);
  image.height = static_cast<int>(height);
  image.rgb.resize(static_cast<size_t>(width) * static_cast<size_t>(height) * 3);
  return image;
}

void ImageSink::Begin(int width, int height, int) { image_ = AllocateImage(ctx_, width, height); }

uint8_t* ImageSink::DirectRows(int y, int, size_t& stride) {
  stride = static_cast<size_t>(image_.width) * 3;
  return image_.rgb.data() + static_cast<size_t>(y) * stride;
}

void ImageSink::Rows(int y, int count, const uint8_t* rgb, size_t stride) {
  const size_t row = static_cast<size_t>(image_.width) * 3;
  uint8_t* out = image_.rgb.data() + static_cast<size_t>(y) * row;
  if (rgb == out) return;  // written in place
  for (int i = 0; i < count; ++i) std::memcpy(out + i * row, rgb + i * stride, row);
}

std::vector<uint8_t> ReadImageFile(const std::filesystem::path& path) {
  return io::ReadRegularFile(path, kMaxImageFileBytes, "an image");
}

}  // namespace image

Image DecodeImage(std::span<const uint8_t> bytes, const std::string& name, const DecodeOptions& options) {
  using namespace image;
  const DecodeContext ctx(bytes, name, options.exif_transpose);
  if (bytes.empty()) ctx.Fail("empty file (0 bytes), not an image");
  Decoded decoded;
  try {
  switch (SniffFormat(bytes)) {
    case Format::kJpeg:
      decoded = DecodeJpeg(ctx);
      break;
    case Format::kPng:
      decoded = DecodePng(ctx);
      break;
    case Format::kGif:
      decoded = DecodeGif(ctx);
      break;
    case Format::kWebp:
      decoded = DecodeWebp(ctx);
      break;
    case Format::kBmp:
      decoded = DecodeBmp(ctx);
      break;
    case Format::kTiff:
      decoded = DecodeTiff(ctx);
      break;
    case Format::kPnm:
      decoded = DecodePnm(ctx);
      break;
    case Format::kTga:
      decoded = DecodeTga(ctx);
      break;
    case Format::kDib:
      decoded = DecodeDib(ctx);
      break;
    case Format::kIco:
      decoded = DecodeIco(ctx);
      break;
    case Format::kCur:
      decoded = DecodeCur(ctx);
      break;
    case Format::kPcx:
      decoded = DecodePcx(ctx);
      break;
    case Format::kSgi:
      decoded = DecodeSgi(ctx);
      break;
    case Format::kXbm:
      decoded = DecodeXbm(ctx);
      break;
    case Format::kJpeg2000:
      decoded = DecodeJpeg2000(ctx);
      break;
    case Format::kHeif:
      decoded = DecodeHeif(ctx);
      break;
    case Format::kDds:
      decoded = DecodeDds(ctx);
      break;
    case Format::kPsd:
      decoded = DecodePsd(ctx);
      break;
    case Format::kDcx:
      decoded = DecodeDcx(ctx);
      break;
    case Format::kIcns:
      decoded = DecodeIcns(ctx);
      break;
    case Format::kIm:
      decoded = DecodeIm(ctx);
      break;
    case Format::kMsp:
      decoded = DecodeMsp(ctx);
      break;
    case Format::kSun:
      decoded = DecodeSun(ctx);
      break;
    case Format::kXpm:
      decoded = DecodeXpm(ctx);
      break;
    case Format::kFli:
      decoded = DecodeFli(ctx);
      break;
    case Format::kBlp:
      decoded = DecodeBlp(ctx);
      break;
    case Format::kFtex:
      decoded = DecodeFtex(ctx);
      break;
    case Format::kGbr:
      decoded = DecodeGbr(ctx);
      break;
    case Format::kSpider:
      decoded = DecodeSpider(ctx);
      break;
    case Format::kFits:
      decoded = DecodeFits(ctx);
      break;
    case Format::kImt:
      decoded = DecodeImt(ctx);
      break;
    case Format::kMcIdas:
      decoded = DecodeMcIdas(ctx);
      break;
    case Format::kPixar:
      decoded = DecodePixar(ctx);
      break;
    case Format::kXvThumb:
      decoded = DecodeXvThumb(ctx);
      break;
    case Format::kPcd:
      decoded = DecodePcd(ctx);
      break;
    case Format::kUnknown:
      if (const char* other = OtherKnownFormat(bytes)) {
        ctx.Fail(std::string(other) + " images are not supported (" + kSupported + " are)", ErrorKind::kUnsupported);
      }
      ctx.Fail(std::string("not an image: the bytes match none of ") + kSupported);
  }
  } catch (const std::bad_alloc&) {
    FailOutOfMemory(ctx);
  } catch (const std::length_error&) {
    FailOutOfMemory(ctx);
  }
  if (options.exif_transpose) return ApplyOrientation(std::move(decoded.image), decoded.orientation);
  return std::move(decoded.image);
}

Image LoadImage(const std::filesystem::path& path, const DecodeOptions& options) {
  const std::vector<uint8_t> bytes = image::ReadImageFile(path);
  return DecodeImage(bytes, path.string(), options);
}

}  // namespace vit
