// PNG with the modes of Pillow's PngImagePlugin (_MODES) and what convert("RGB") then does with them:
// 1/2/4-bit grey scaled to 0..255 ("1", "L;2", "L;4"), 16-bit grey opened as "I" and clipped at 255,
// other 16-bit samples reduced to their high byte (";16B" raw modes), palettes looked up with Pillow's
// grey ramp behind the entries PLTE defines, alpha and tRNS ignored.
//
// The header, the palette and the image data are read here as Pillow reads them (png.h only names the
// colour types). The image data is inflated as Pillow's ZIP decoder does it (ZipDecode.c, fed by
// ImageFile.load and PngImageFile.load_read): one row per inflate call, over the IDAT, DDAT and fdAT
// chunks that follow each other (an APNG's first frame may start in, or go on in, fdAT chunks), done
// as soon as the last row is in. A file cut after that row, or missing the
// IDAT CRC, the zlib adler32 or IEND, is therefore an image, while a zlib error met on the way (a
// wrong adler32 right after the last row included) refuses it. The chunks around the image data
// follow Pillow's rules too (png_chunks.h): the last IHDR and PLTE count, a compression method is
// not looked at, a missing PLTE leaves the grey ramp.
#include <png.h>
#include <zlib.h>

#include <cstdint>
#include <cstring>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "image/decoders.h"
#include "image/png_chunks.h"
#include "image/pil_convert.h"

namespace vit::image {
namespace {

// The header fields the image data needs, and the rectangle it fills (the whole picture, or an APNG
// first frame's fcTL box).
struct PngLayout {
  uint32_t width = 0, height = 0;  // of the rectangle
  int bit_depth = 0, color_type = 0, channels = 1;
  bool interlaced = false;
  size_t RowBytes(uint32_t pixels) const {
    return static_cast<size_t>((uint64_t{pixels} * static_cast<uint64_t>(channels * bit_depth) + 7) / 8);
  }
  // Bytes per pixel once packed samples are expanded (what RowToRgb reads).
  size_t PixelBytes() const { return static_cast<size_t>(channels) * (bit_depth == 16 ? 2 : 1); }
};

// Deflate turns at most 1032 bytes of output from one byte of input (258-byte matches at 2 bits each).
constexpr uint64_t kMaxDeflateRatio = 1032;

// A header claims a size; the image data has to be able to hold it. Checked before any row is
// allocated (a 69-byte file claiming 178,956,970 x 1 pixels of 16-bit RGBA would otherwise cost
// gigabytes before it is found short), so memory only goes to images whose data is in the file.
void CheckImageDataCanHoldTheImage(const DecodeContext& ctx, const PngLayout& l, uint64_t idat_bytes) {
  // Every pass of an interlaced image holds its share of the pixels, so this is a lower bound for both.
  const uint64_t raw_bytes = uint64_t{l.width} * l.height * static_cast<uint64_t>(l.channels * l.bit_depth) / 8;
  if (idat_bytes * kMaxDeflateRatio + 64 < raw_bytes) {
    ctx.Fail("truncated PNG: " + std::to_string(l.width) + "x" + std::to_string(l.height) + " pixels need " +
             std::to_string(raw_bytes) + " bytes of image data, which the file's " + std::to_string(idat_bytes) +
             " compressed bytes of IDAT cannot hold (Pillow: image file is truncated)");
  }
}

// load_read takes the image data from every IDAT, DDAT and fdAT chunk that follows the first one; an
// fdAT's data starts after its 4-byte sequence number.
size_t ImageDataPrefix(const uint8_t* type) {
  if (std::memcmp(type, "IDAT", 4) == 0 || std::memcmp(type, "DDAT", 4) == 0) return 0;
  if (std::memcmp(type, "fdAT", 4) == 0) return 4;
  return SIZE_MAX;
}

// The compressed bytes in the run of image data chunks that starts at `at` (what the file holds of them).
uint64_t ImageDataBytes(std::span<const uint8_t> bytes, size_t at) {
  uint64_t total = 0;
  while (bytes.size() - at >= 8 && ImageDataPrefix(bytes.data() + at + 4) != SIZE_MAX) {
    const size_t length = PngBigEndian32(bytes.data() + at);
    const size_t held = std::min(length, bytes.size() - at - 8);
    total += held;
    if (held < length || bytes.size() - at - 8 - length < 4) break;
    at += 12 + length;
  }
  return total;
}

// One row of samples (packed ones expanded to a byte each, 16-bit ones left big-endian) to RGB.
void RowToRgb(const uint8_t* in, size_t width, int color_type, int bit_depth, const Palette& palette, uint8_t* out) {
  switch (color_type) {
    case PNG_COLOR_TYPE_GRAY:
      if (bit_depth == 16) {
        Gray16BigEndianRowToRgb(in, width, out);
      } else {
        const int scale = bit_depth == 1 ? 255 : bit_depth == 2 ? 85 : bit_depth == 4 ? 17 : 1;
        for (size_t i = 0; i < width; ++i) out[3 * i] = out[3 * i + 1] = out[3 * i + 2] = static_cast<uint8_t>(in[i] * scale);
      }
      break;
    case PNG_COLOR_TYPE_PALETTE:
      PaletteRowToRgb(in, width, palette, out);
      break;
    case PNG_COLOR_TYPE_RGB:
      if (bit_depth == 16) {
        Samples16BigEndianRowToRgb(in, width, 3, out);
      } else {
        std::memcpy(out, in, width * 3);
      }
      break;
    case PNG_COLOR_TYPE_GRAY_ALPHA:
      if (bit_depth == 16) {
        Samples16BigEndianRowToRgb(in, width, 2, out);
      } else {
        GrayAlphaRowToRgb(in, width, out);
      }
      break;
    case PNG_COLOR_TYPE_RGB_ALPHA:
      if (bit_depth == 16) {
        Samples16BigEndianRowToRgb(in, width, 4, out);
      } else {
        RgbaRowToRgb(in, width, out);
      }
      break;
  }
}


// Adam7 (passes 1..7) or one pass over the whole rectangle.
struct Pass {
  uint32_t x0, y0, dx, dy;
};
constexpr Pass kAdam7[7] = {{0, 0, 8, 8}, {4, 0, 8, 8}, {0, 4, 4, 8}, {2, 0, 4, 4},
                            {0, 2, 2, 4}, {1, 0, 2, 2}, {0, 1, 1, 2}};
constexpr Pass kWhole = {0, 0, 1, 1};

uint8_t Paeth(int a, int b, int c) {
  const int p = a + b - c;
  const int pa = std::abs(p - a), pb = std::abs(p - b), pc = std::abs(p - c);
  return static_cast<uint8_t>(pa <= pb && pa <= pc ? a : pb <= pc ? b : c);
}

// Pillow's ZIP decoder for PNG: rows (each a filter byte and the filtered samples) inflated one per
// inflate call into a buffer of exactly one row, unfiltered against the previous row of their pass,
// handed to `emit` with the pass and the row's number in it. Feed() returns true once the last row of
// the last pass is in; nothing after it is inflated.
class RowInflater {
 public:
  RowInflater(const DecodeContext& ctx, const PngLayout& layout) : ctx_(ctx), layout_(layout) {
    if (layout.interlaced) {
      for (const Pass& p : kAdam7) passes_.push_back(p);
    } else {
      passes_.push_back(kWhole);
    }
    SkipEmptyPasses();
    const size_t row = layout.RowBytes(layout.width) + 1;
    current_.assign(row, 0);
    previous_.assign(row, 0);
    if (inflateInit(&z_) != Z_OK) ctx.Fail("zlib could not start", ErrorKind::kInternal);
    started_ = true;
  }
  ~RowInflater() {
    if (started_) inflateEnd(&z_);
  }
  RowInflater(const RowInflater&) = delete;
  RowInflater& operator=(const RowInflater&) = delete;

  uint32_t PassWidth(const Pass& p) const { return (layout_.width - std::min(layout_.width, p.x0) + p.dx - 1) / p.dx; }
  uint32_t PassHeight(const Pass& p) const { return (layout_.height - std::min(layout_.height, p.y0) + p.dy - 1) / p.dy; }

  template <typename Emit>
  bool Feed(const uint8_t* data, size_t size, Emit&& emit) {
    if (done()) return true;
    z_.next_in = const_cast<Bytef*>(data);
    z_.avail_in = static_cast<uInt>(size);
    while (z_.avail_in > 0) {
      const Pass& pass = passes_[pass_];
      const size_t row = layout_.RowBytes(PassWidth(pass)) + 1;
      z_.next_out = current_.data() + filled_;
      z_.avail_out = static_cast<uInt>(row - filled_);
      const int rc = inflate(&z_, Z_NO_FLUSH);
      if (rc < 0) {
        ctx_.Fail(std::string("broken PNG image data: zlib: ") + (z_.msg != nullptr ? z_.msg : "error " + std::to_string(rc)) +
                  " (Pillow: broken data stream when reading image file)");
      }
      filled_ = row - z_.avail_out;
      if (filled_ < row) break;  // needs more input
      filled_ = 0;
      Unfilter(row);
      emit(pass, row_in_pass_, current_.data() + 1, PassWidth(pass));
      std::swap(current_, previous_);
      if (++row_in_pass_ == PassHeight(pass)) {
        ++pass_;
        row_in_pass_ = 0;
        std::fill(previous_.begin(), previous_.end(), 0);
        SkipEmptyPasses();
        if (done()) return true;
      }
    }
    return false;
  }
  bool done() const { return pass_ >= passes_.size(); }

 private:
  void SkipEmptyPasses() {
    while (pass_ < passes_.size() && (PassWidth(passes_[pass_]) == 0 || PassHeight(passes_[pass_]) == 0)) ++pass_;
  }

  void Unfilter(size_t row) {
    uint8_t* cur = current_.data() + 1;
    const uint8_t* up = previous_.data() + 1;
    const size_t n = row - 1;
    const size_t bpp = std::max<size_t>(1, static_cast<size_t>(layout_.channels * layout_.bit_depth) / 8);
    switch (current_[0]) {
      case 0:
        break;
      case 1:
        for (size_t i = bpp; i < n; ++i) cur[i] = static_cast<uint8_t>(cur[i] + cur[i - bpp]);
        break;
      case 2:
        for (size_t i = 0; i < n; ++i) cur[i] = static_cast<uint8_t>(cur[i] + up[i]);
        break;
      case 3:
        for (size_t i = 0; i < n; ++i) {
          const int left = i >= bpp ? cur[i - bpp] : 0;
          cur[i] = static_cast<uint8_t>(cur[i] + ((left + up[i]) >> 1));
        }
        break;
      case 4:
        for (size_t i = 0; i < n; ++i) {
          const int left = i >= bpp ? cur[i - bpp] : 0;
          const int upper_left = i >= bpp ? up[i - bpp] : 0;
          cur[i] = static_cast<uint8_t>(cur[i] + Paeth(left, up[i], upper_left));
        }
        break;
      default:
        ctx_.Fail("broken PNG image data: unknown row filter type " + std::to_string(current_[0]));
    }
  }

  const DecodeContext& ctx_;
  const PngLayout& layout_;
  std::vector<Pass> passes_;
  size_t pass_ = 0;
  uint32_t row_in_pass_ = 0;
  std::vector<uint8_t> current_, previous_;
  size_t filled_ = 0;
  z_stream z_{};
  bool started_ = false;
};

// A row's packed samples (1, 2 or 4 bits, most significant first) expanded to a byte each.
void ExpandPacked(const uint8_t* in, size_t samples, int bit_depth, uint8_t* out) {
  const int per_byte = 8 / bit_depth;
  const int mask = (1 << bit_depth) - 1;
  for (size_t i = 0; i < samples; ++i) {
    const int shift = 8 - bit_depth * (1 + static_cast<int>(i % per_byte));
    out[i] = static_cast<uint8_t>((in[i / per_byte] >> shift) & mask);
  }
}

// The image data, from the first IDAT (or fdAT) chunk at `at`, as ImageFile.load reads it: each
// chunk's data in blocks of at most 64 KB (decodermaxblock), the next chunk taken while it is image
// data. Returns where the data of the chunk that held the last row ends.
template <typename Emit>
size_t InflateImageData(const DecodeContext& ctx, PngChunkWalk& chunks, size_t at, RowInflater& rows, Emit&& emit) {
  const auto bytes = ctx.bytes();
  constexpr size_t kBlock = 65536;
  while (true) {
    const size_t length = PngBigEndian32(bytes.data() + at);
    const size_t prefix = ImageDataPrefix(bytes.data() + at + 4);  // the first fdAT's was checked already
    const size_t data_at = at + 8 + prefix;
    const size_t data_length = length - prefix;
    const size_t held = std::min(data_length, bytes.size() - data_at);
    for (size_t off = 0; off < held; off += kBlock) {
      if (rows.Feed(bytes.data() + data_at + off, std::min(kBlock, held - off), emit)) return data_at + data_length;
    }
    if (held < data_length || bytes.size() - data_at - data_length < 4 + 8) {
      ctx.Fail("truncated PNG: the file ends inside the image data, before the last row (Pillow: image file is truncated)");
    }
    at = data_at + data_length + 4;
    const uint8_t* type = bytes.data() + at + 4;
    if (ImageDataPrefix(type) == SIZE_MAX) {
      ctx.Fail("truncated PNG: the image data stops at a " + std::string(reinterpret_cast<const char*>(type), 4) +
               " chunk before the last row (Pillow: image file is truncated)");
    }
    if (ImageDataPrefix(type) != 0) {
      chunks.ContinueWithFrameData(type + 4, PngBigEndian32(bytes.data() + at), bytes.size() - at - 8);
    }
  }
}

}  // namespace

Decoded DecodePng(const DecodeContext& ctx) {
  PngChunkWalk chunks(ctx);
  const size_t first_idat = chunks.ToImageData();
  if (chunks.color_type() < 0) {
    ctx.Fail("PNG without a pixel mode Pillow reads: no IHDR before the image data, or none with a known bit "
             "depth and colour type (Pillow: cannot load this image)");
  }
  const uint32_t width = chunks.width(), height = chunks.height();
  const int bit_depth = chunks.bit_depth(), color_type = chunks.color_type();
  ctx.CheckSize(width, height);
  Palette palette;
  if (color_type == PNG_COLOR_TYPE_PALETTE && chunks.palette().has_value()) {
    // ImagePalette.raw("RGB", PLTE) put into the image: whole entries only, at most 256.
    const std::vector<uint8_t>& entries = *chunks.palette();
    if (entries.size() > 256 * 3) {
      ctx.Fail("PNG palette of " + std::to_string(entries.size()) + " bytes holds more than 256 entries "
               "(Pillow: invalid palette size)");
    }
    for (size_t i = 0; i + 3 <= entries.size(); i += 3) {
      palette.Set(static_cast<int>(i / 3), entries[i], entries[i + 1], entries[i + 2]);
    }
  }

  PngLayout layout;
  layout.width = width;
  layout.height = height;
  layout.bit_depth = bit_depth;
  layout.color_type = color_type;
  layout.channels = color_type == PNG_COLOR_TYPE_RGB         ? 3
                    : color_type == PNG_COLOR_TYPE_RGB_ALPHA  ? 4
                    : color_type == PNG_COLOR_TYPE_GRAY_ALPHA ? 2
                                                              : 1;
  layout.interlaced = chunks.interlaced();
  PngChunkWalk::Box box{0, 0, width, height};
  if (chunks.frame_box().has_value()) {
    box = *chunks.frame_box();
    if (box.width == 0 || box.height == 0) ctx.Fail("APNG first frame (fcTL) is empty");
    layout.width = box.width;
    layout.height = box.height;
  }
  CheckImageDataCanHoldTheImage(ctx, layout, ImageDataBytes(ctx.bytes(), first_idat));

  Image image = AllocateImage(ctx, width, height);
  const size_t stride = static_cast<size_t>(width) * 3;
  const bool whole_rows = !layout.interlaced && box.width == width && box.height == height;
  const size_t pixel_bytes = layout.PixelBytes();
  // Rows that go straight to RGB, or the picture's samples when passes or a frame box scatter them
  // (zero where the image data does not reach, as in Pillow's new image).
  std::vector<uint8_t> samples, expanded;
  try {
    expanded.resize(static_cast<size_t>(layout.width) * pixel_bytes);
    if (!whole_rows) samples.assign(static_cast<size_t>(width) * height * pixel_bytes, 0);
  } catch (const std::bad_alloc&) {
    FailOutOfMemory(ctx);
  }
  // Pillow's ZIP decoder writes interlaced rows without the tile's offset: an interlaced APNG frame
  // fills a rectangle of its fcTL size at the picture's top-left corner.
  const size_t box_x = layout.interlaced ? 0 : box.x, box_y = layout.interlaced ? 0 : box.y;
  RowInflater rows(ctx, layout);
  const auto emit = [&](const Pass& pass, uint32_t y, const uint8_t* data, uint32_t pixels) {
    const uint8_t* in = data;
    if (bit_depth < 8) {
      ExpandPacked(data, pixels, bit_depth, expanded.data());
      in = expanded.data();
    }
    if (whole_rows) {
      RowToRgb(in, width, color_type, bit_depth, palette, image.rgb.data() + y * stride);
      return;
    }
    const size_t image_y = box_y + pass.y0 + static_cast<size_t>(y) * pass.dy;
    uint8_t* out = samples.data() + (image_y * width + box_x + pass.x0) * pixel_bytes;
    for (uint32_t i = 0; i < pixels; ++i) std::memcpy(out + i * pass.dx * pixel_bytes, in + i * pixel_bytes, pixel_bytes);
  };
  const size_t image_data_end = InflateImageData(ctx, chunks, first_idat, rows, emit);
  if (!whole_rows) {
    for (uint32_t y = 0; y < height; ++y) {
      RowToRgb(samples.data() + static_cast<size_t>(y) * width * pixel_bytes, width, color_type, bit_depth, palette,
               image.rgb.data() + y * stride);
    }
  }
  chunks.AfterImageData(image_data_end);

  Decoded decoded;
  decoded.image = std::move(image);
  if (ctx.want_orientation()) decoded.orientation = chunks.metadata().Orientation(ctx);
  return decoded;
}

}  // namespace vit::image
