// BLP (Blizzard textures) by hand, as Pillow 9.4's BlpImagePlugin reads them: BLP1 as JPEG or through
// its palette, BLP2 through its palette or as DXT1/DXT3/DXT5 blocks; the first mipmap only.
//
// Pillow's Python decoder builds one stream of pixel bytes and hands it to the raw decoder of the
// image's mode, RGBA when the header's alpha depth byte is non-zero and RGB otherwise, row after row of
// the header's width. The stream does not always fit that mode: DXT3 and DXT5 always give four bytes a
// pixel, DXT rows are padded to a multiple of 4 pixels, a JPEG's size need not be the header's. Pillow
// then reads the stream askew all the same, and only a stream shorter than the image is an error; this
// decoder reads it the same way. Its block colours widen 5:6:5 by a plain shift, unlike the DDS decoder.
#include <array>
#include <cstring>
#include <optional>
#include <string>
#include <vector>

#include "image/bcn_blocks.h"
#include "image/decoders.h"

namespace vit::image {
namespace {

uint32_t U32(const uint8_t* p) { return p[0] | (uint32_t{p[1]} << 8) | (uint32_t{p[2]} << 16) | (uint32_t{p[3]} << 24); }

// The raw decoder of mode RGB or RGBA fed a byte stream: pixels in row order, RGBA's alpha dropped
// as convert("RGB") drops it.
class RawFill {
 public:
  RawFill(Image& image, size_t pixel_bytes) : image_(image), pixel_bytes_(pixel_bytes) {}
  bool full() const { return done_ == image_.rgb.size() / 3; }
  void Push(const uint8_t* data, size_t n) {
    for (size_t i = 0; i < n && !full(); ++i) {
      pixel_[have_++] = data[i];
      if (have_ == pixel_bytes_) {
        std::memcpy(image_.rgb.data() + 3 * done_++, pixel_.data(), 3);
        have_ = 0;
      }
    }
  }

 private:
  Image& image_;
  size_t pixel_bytes_;
  std::array<uint8_t, 4> pixel_{};
  size_t have_ = 0, done_ = 0;
};

class BlpReader {
 public:
  explicit BlpReader(const DecodeContext& ctx) : ctx_(ctx), bytes_(ctx.bytes()) {}

  Decoded Read() {
    if (bytes_.size() < 20) ctx_.Fail("truncated BLP: the header is cut short");
    const bool blp1 = bytes_[3] == '1';
    alpha_depth_ = static_cast<int8_t>(bytes_[9]);
    width_ = U32(&bytes_[12]);
    height_ = U32(&bytes_[16]);
    ctx_.CheckSize(width_, height_);
    const auto compression = static_cast<int32_t>(U32(&bytes_[4]));
    int32_t encoding = static_cast<int8_t>(bytes_[8]);
    const int alpha_encoding = static_cast<int8_t>(bytes_[10]);
    at_ = 20;
    if (blp1) {
      encoding = static_cast<int32_t>(U32(Take(4, "the header")));
      Take(4, "the header");  // subtype
    }
    const uint8_t* offsets = Take(64, "the mipmap offsets");
    const uint8_t* lengths = Take(64, "the mipmap lengths");
    offset0_ = U32(offsets);
    length0_ = U32(lengths);

    if (blp1) {
      if (compression == 0) {
        Jpeg();
      } else if (compression == 1 && (encoding == 4 || encoding == 5)) {
        Paletted();
      } else {
        ctx_.Fail("unsupported BLP1 compression " + std::to_string(compression) + " / encoding " +
                      std::to_string(encoding),
                  ErrorKind::kUnsupported);
      }
    } else {
      if (compression != 1) {
        ctx_.Fail("unsupported BLP2 compression " + std::to_string(compression), ErrorKind::kUnsupported);
      }
      ReadPalette();
      at_ = offset0_;
      if (encoding == 1) {
        Paletted();
      } else if (encoding == 2 && (alpha_encoding == 0 || alpha_encoding == 1 || alpha_encoding == 7)) {
        Blocks(alpha_encoding);
      } else {
        ctx_.Fail("unsupported BLP2 encoding " + std::to_string(encoding) + " / alpha encoding " +
                      std::to_string(alpha_encoding),
                  ErrorKind::kUnsupported);
      }
    }
    if (!fill_->full()) ctx_.Fail("BLP pixel data is shorter than the image (not enough image data)");
    return std::move(decoded_);
  }

 private:
  // ImageFile._safe_read: all `n` bytes from the read position, or the file is truncated.
  const uint8_t* Take(size_t n, const char* what) {
    if (at_ > bytes_.size() || bytes_.size() - at_ < n) {
      ctx_.Fail(std::string("truncated BLP: the file ends inside ") + what);
    }
    const uint8_t* p = bytes_.data() + at_;
    at_ += n;
    return p;
  }

  // Up to 256 BGRA entries; a cut entry is a truncated file.
  void ReadPalette() {
    const uint8_t* p = Take(256 * 4, "the palette");
    std::memcpy(palette_.data(), p, palette_.size());
  }

  // The picture, allocated once the file is known to hold its data (or, for JPEG, once it is decoded).
  RawFill& Start() {
    decoded_.image = AllocateImage(ctx_, width_, height_);
    fill_.emplace(decoded_.image, alpha_depth_ != 0 ? 4 : 3);
    return *fill_;
  }

  void Paletted() {
    if (bytes_[3] == '1') ReadPalette();
    const uint8_t* index = Take(length0_, "the first mipmap");
    if (length0_ / static_cast<uint64_t>(width_) < static_cast<uint64_t>(height_)) {
      ctx_.Fail("BLP pixel data is shorter than the image (not enough image data)");
    }
    RawFill& fill = Start();
    for (size_t i = 0; i < length0_ && !fill.full(); ++i) {
      const uint8_t* bgra = &palette_[size_t{index[i]} * 4];
      const uint8_t pixel[4] = {bgra[2], bgra[1], bgra[0], bgra[3]};
      fill.Push(pixel, alpha_depth_ != 0 ? 4 : 3);
    }
  }

  void Jpeg() {
    const uint32_t header_size = U32(Take(4, "the JPEG header size"));
    const uint8_t* header = Take(header_size, "the JPEG header");
    if (offset0_ > at_) Take(offset0_ - at_, "the gap before the first mipmap");
    const uint8_t* data = Take(length0_, "the first mipmap");
    std::vector<uint8_t> jpeg(header, header + header_size);
    jpeg.insert(jpeg.end(), data, data + length0_);
    const DecodeContext jpeg_ctx(jpeg, ctx_.name(), false);
    Image picture = DecodeJpeg(jpeg_ctx).image;
    RawFill& fill = Start();
    // Pillow merges the JPEG's bands back as (B, G, R).
    for (size_t i = 0; i < picture.rgb.size() && !fill.full(); i += 3) {
      const uint8_t pixel[3] = {picture.rgb[i + 2], picture.rgb[i + 1], picture.rgb[i]};
      fill.Push(pixel, 3);
    }
  }

  // decode_dxt1/3/5: each row of blocks becomes four rows of whole blocks, RGBA (RGB for DXT1 without
  // alpha), pushed as they come.
  void Blocks(int alpha_encoding) {
    const size_t across = (static_cast<size_t>(width_) + 3) / 4, down = (static_cast<size_t>(height_) + 3) / 4;
    const size_t block_bytes = alpha_encoding == 0 ? 8 : 16;
    const size_t out_bytes = alpha_encoding == 0 && alpha_depth_ == 0 ? 3 : 4;
    if (at_ > bytes_.size() || (bytes_.size() - at_) / block_bytes / across < down) {
      ctx_.Fail("truncated BLP: the file ends inside the DXT blocks");
    }
    RawFill& fill = Start();
    std::vector<uint8_t> rows(across * 16 * out_bytes);
    std::array<Rgba, 16> colour;
    std::array<uint8_t, 16> alpha;
    for (size_t by = 0; by < down && !fill.full(); ++by) {
      const uint8_t* line = bytes_.data() + at_ + by * across * block_bytes;
      for (size_t bx = 0; bx < across; ++bx) {
        const uint8_t* block = line + bx * block_bytes;
        if (alpha_encoding == 0) {
          ColourBlock(block, false, Widen565::kShift, colour);
          for (size_t n = 0; n < 16; ++n) alpha[n] = colour[n].a;
        } else {
          ColourBlock(block + 8, true, Widen565::kShift, colour);
          if (alpha_encoding == 1) {
            for (size_t n = 0; n < 16; ++n) alpha[n] = static_cast<uint8_t>(((block[n / 2] >> (4 * (n % 2))) & 0xF) * 17);
          } else {
            ChannelBlock(block, false, alpha);
          }
        }
        for (size_t n = 0; n < 16; ++n) {
          uint8_t* o = &rows[((n / 4) * across * 4 + bx * 4 + n % 4) * out_bytes];
          o[0] = colour[n].r;
          o[1] = colour[n].g;
          o[2] = colour[n].b;
          if (out_bytes == 4) o[3] = alpha[n];
        }
      }
      fill.Push(rows.data(), rows.size());
    }
  }

  const DecodeContext& ctx_;
  std::span<const uint8_t> bytes_;
  int alpha_depth_ = 0;
  int64_t width_ = 0, height_ = 0;
  size_t at_ = 0;
  uint32_t offset0_ = 0, length0_ = 0;
  Decoded decoded_;
  std::optional<RawFill> fill_;
  std::array<uint8_t, 1024> palette_{};
};

}  // namespace

bool LooksLikeBlp(std::span<const uint8_t> bytes) {
  return bytes.size() >= 4 && std::memcmp(bytes.data(), "BLP", 3) == 0 && (bytes[3] == '1' || bytes[3] == '2');
}

Decoded DecodeBlp(const DecodeContext& ctx) {
  if (!LooksLikeBlp(ctx.bytes())) ctx.Fail("not a BLP file");
  return BlpReader(ctx).Read();
}

}  // namespace vit::image
