// The per-format decoders behind vit::DecodeImage, and what they share: the bytes, the name that every
// message starts with, and Pillow's size rules. Each decoder returns RGB as Pillow's
// Image.open(...).convert("RGB") would, and the EXIF orientation when asked for it.
#pragma once

#include <cstdint>
#include <filesystem>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "image/row_sink.h"
#include "vit/error.h"
#include "vit/image.h"

namespace vit::image {

enum class Format { kUnknown, kJpeg, kPng, kGif, kWebp, kBmp, kTiff, kPnm, kTga, kDib, kIco, kCur, kPcx, kSgi, kXbm,
                   kJpeg2000, kHeif, kDds, kPsd,
                   // Formats read as Pillow 9.4's plugins read them, in the order Image.open tries them.
                   kIcns, kXpm,
                   kFli, kBlp, kFtex, kGbr, kSpider,
                   kSun, kMsp,
                   kFits, kImt, kMcIdas, kPixar, kXvThumb,
                   kPcd,
                   kDcx, kIm };

// From the leading bytes only, as Pillow's _accept() checks do; the file name is never consulted.
Format SniffFormat(std::span<const uint8_t> bytes);
const char* FormatName(Format format);

// Pillow's Image.MAX_IMAGE_PIXELS is 89478485; Image.open raises DecompressionBombError above twice
// that (and only warns in between).
constexpr int64_t kMaxImagePixels = 2 * int64_t{89478485};

class DecodeContext {
 public:
  DecodeContext(std::span<const uint8_t> bytes, const std::string& name, bool want_orientation)
      : bytes_(bytes), name_(name), want_orientation_(want_orientation) {}

  std::span<const uint8_t> bytes() const { return bytes_; }
  const std::string& name() const { return name_; }
  bool want_orientation() const { return want_orientation_; }

  // Throws vit::Error("<name>: <reason>").
  [[noreturn]] void Fail(const std::string& reason, ErrorKind kind = ErrorKind::kInvalidInput) const;
  // Image.open's checks, made from the header before any pixel is decoded: a zero dimension is not an
  // image, and more than kMaxImagePixels pixels is refused as a decompression bomb.
  void CheckSize(int64_t width, int64_t height) const;

 private:
  std::span<const uint8_t> bytes_;
  const std::string& name_;
  bool want_orientation_;
};

struct Decoded {
  Image image;
  int orientation = 1;  // EXIF 0x0112 when asked for and present, else 1
};

Decoded DecodeJpeg(const DecodeContext& ctx);
// JPEG rows into any sink, top to bottom, as they leave libjpeg; returns the orientation (1 unless
// asked for).
int DecodeJpegInto(const DecodeContext& ctx, RowSink& sink);
Decoded DecodePng(const DecodeContext& ctx);
Decoded DecodeGif(const DecodeContext& ctx);
Decoded DecodeWebp(const DecodeContext& ctx);
Decoded DecodeBmp(const DecodeContext& ctx);
// A bare BITMAPINFOHEADER (or OS/2 or v4/v5 header) and its pixels, without the 14-byte file header.
Decoded DecodeDib(const DecodeContext& ctx);
// Where a bitmap sits in a file: its info header, the pixel offset a BMP file header gives (0: right
// after the header, masks and palette), and whether only the upper half of its rows are colour (icons
// and cursors keep an AND mask in the rest). pixel_offset, when set, receives where the pixels start.
enum class BitmapRows { kAll, kHalf };
struct BitmapPlace {
  size_t header_at = 0;
  size_t data_offset = 0;
  BitmapRows rows = BitmapRows::kAll;
  size_t* pixel_offset = nullptr;
};
Decoded DecodeBitmap(const DecodeContext& ctx, const BitmapPlace& place);
Decoded DecodeIco(const DecodeContext& ctx);
Decoded DecodeCur(const DecodeContext& ctx);
Decoded DecodePcx(const DecodeContext& ctx);
// A PCX image whose header starts `header_at` bytes into the file, read as Pillow's PcxImageFile reads
// it from there (DCX): the palette of an 8-bit image still comes from the end of the file.
Decoded DecodePcxAt(const DecodeContext& ctx, size_t header_at);
// Pillow's PCX check: the signature, a known version, a header long enough to read and a non-empty box.
bool LooksLikePcx(std::span<const uint8_t> bytes);
Decoded DecodeSgi(const DecodeContext& ctx);
bool LooksLikeSgi(std::span<const uint8_t> bytes);
Decoded DecodeXbm(const DecodeContext& ctx);
bool LooksLikeXbm(std::span<const uint8_t> bytes);
Decoded DecodeTiff(const DecodeContext& ctx);
Decoded DecodePnm(const DecodeContext& ctx);
Decoded DecodeTga(const DecodeContext& ctx);
// TGA has no signature: Pillow tries it after every format that has one, and takes a file whose
// header holds a known image type, depth and a non-zero size.
bool LooksLikeTga(std::span<const uint8_t> bytes);
// JPEG 2000: a J2K codestream or a JP2 file, read as Pillow's Jpeg2KImagePlugin reads it.
Decoded DecodeJpeg2000(const DecodeContext& ctx);
// DDS: the first surface, uncompressed or BC1-BC5, as Pillow 9.4's DdsImagePlugin reads it.
Decoded DecodeDds(const DecodeContext& ctx);
// PSD: the merged image, as Pillow 9.4's PsdImagePlugin opens it.
Decoded DecodePsd(const DecodeContext& ctx);
// HEIF/HEIC and AVIF through libheif, as pillow-heif's plugin opens them (beyond Pillow itself).
Decoded DecodeHeif(const DecodeContext& ctx);
// An ISO base media file whose major brand is a HEIF or AVIF still-image or sequence brand.
bool LooksLikeHeif(std::span<const uint8_t> bytes);

// DCX: the first page, as Pillow 9.4's DcxImagePlugin reads it.
Decoded DecodeDcx(const DecodeContext& ctx);
// ICNS: the largest icon, as Pillow 9.4's IcnsImagePlugin picks and reads it.
Decoded DecodeIcns(const DecodeContext& ctx);
// IM: the first frame, as Pillow 9.4's ImImagePlugin reads it.
Decoded DecodeIm(const DecodeContext& ctx);
// IM has no signature: true where Pillow's IM reader takes the file's header as its own.
bool LooksLikeIm(std::span<const uint8_t> bytes);
// Text from a file, for a message: bytes outside printable ASCII become '?', so that the message stays
// one line of text.
inline std::string PrintableText(std::string_view text) {
  std::string out(text);
  for (char& c : out) c = (c >= 0x20 && c < 0x7F) ? c : '?';
  return out;
}
// MSP: Microsoft Paint 1.x and 2.x, as Pillow 9.4's MspImagePlugin reads it.
Decoded DecodeMsp(const DecodeContext& ctx);
// Sun raster: raw or byte-encoded, as Pillow 9.4's SunImagePlugin reads it.
Decoded DecodeSun(const DecodeContext& ctx);
// XPM: one character per pixel, as Pillow 9.4's XpmImagePlugin reads it.
Decoded DecodeXpm(const DecodeContext& ctx);
// FLI/FLC: the first frame, as Pillow 9.4's FliImagePlugin reads it.
Decoded DecodeFli(const DecodeContext& ctx);
bool LooksLikeFli(std::span<const uint8_t> bytes);
// BLP1/BLP2 textures: the first mipmap, as Pillow 9.4's BlpImagePlugin reads it.
Decoded DecodeBlp(const DecodeContext& ctx);
bool LooksLikeBlp(std::span<const uint8_t> bytes);
// FTEX textures: the first mipmap, DXT1 or raw RGB, as Pillow 9.4's FtexImagePlugin reads it.
Decoded DecodeFtex(const DecodeContext& ctx);
bool LooksLikeFtex(std::span<const uint8_t> bytes);
// A DXT1 (BC1) surface of width x height whose blocks start at `start` and are all in the file.
Decoded DecodeBc1Surface(const DecodeContext& ctx, size_t start, int64_t width, int64_t height);
// GIMP brushes, as Pillow 9.4's GbrImagePlugin reads them.
Decoded DecodeGbr(const DecodeContext& ctx);
bool LooksLikeGbr(std::span<const uint8_t> bytes);
// SPIDER 2D images (32-bit floats), as Pillow 9.4's SpiderImagePlugin reads them.
Decoded DecodeSpider(const DecodeContext& ctx);
bool LooksLikeSpider(std::span<const uint8_t> bytes);
// FITS, IM Tools, McIdas area, PIXAR and XV thumbnail images, as Pillow 9.4's plugins read them.
Decoded DecodeFits(const DecodeContext& ctx);
bool LooksLikeFits(std::span<const uint8_t> bytes);
Decoded DecodeImt(const DecodeContext& ctx);
bool LooksLikeImt(std::span<const uint8_t> bytes);
Decoded DecodeMcIdas(const DecodeContext& ctx);
bool LooksLikeMcIdas(std::span<const uint8_t> bytes);
Decoded DecodePixar(const DecodeContext& ctx);
bool LooksLikePixar(std::span<const uint8_t> bytes);
Decoded DecodeXvThumb(const DecodeContext& ctx);
bool LooksLikeXvThumb(std::span<const uint8_t> bytes);
// Photo CD: the 768x512 base image, as Pillow 9.4's PcdImagePlugin reads it.
Decoded DecodePcd(const DecodeContext& ctx);
bool LooksLikePcd(std::span<const uint8_t> bytes);

// A sink that keeps every row: the whole picture.
class ImageSink : public RowSink {
 public:
  explicit ImageSink(const DecodeContext& ctx) : ctx_(ctx) {}
  void Begin(int width, int height, int orientation) override;
  uint8_t* DirectRows(int y, int count, size_t& stride) override;
  int MaxDirectRows() const override { return 16; }
  void Rows(int y, int count, const uint8_t* rgb, size_t stride) override;
  Image Take() { return std::move(image_); }

 private:
  const DecodeContext& ctx_;
  Image image_;
};

// Larger than any image file within the decompression-bomb limit (178,956,970 pixels of 16-bit
// RGBA stored raw are 1.4 GB).
constexpr uint64_t kMaxImageFileBytes = uint64_t{2} << 30;

// A whole regular file of at most kMaxImageFileBytes, with LoadImage's errors (kNotFound, kIo,
// kInvalidArgument for a folder, a device or a pipe).
std::vector<uint8_t> ReadImageFile(const std::filesystem::path& path);

// What an allocation failure while decoding becomes: vit::Error (kIo) naming the file.
[[noreturn]] void FailOutOfMemory(const DecodeContext& ctx);

// An Image of the given size with its RGB buffer allocated (uninitialised bytes are not a concern:
// every decoder writes every pixel).
Image AllocateImage(const DecodeContext& ctx, int64_t width, int64_t height);

}  // namespace vit::image
