// FLI/FLC animations by hand: the first frame, as Pillow 9.4's FliImagePlugin and FliDecode.c read it.
//
// Pillow takes the palette from the first COLOR/COLOR256 chunk of frame 1 when it opens the file
// (unset entries stay the grey ramp) and then runs its decoder over frame 1 only, the frame header
// always at offset 128: a prefix chunk there is not skipped, so such files are refused. The decoder
// sees at most the frame's stated size of bytes, checks every read against the end of that buffer
// (not the end of the subchunk), and starts from an all-zero picture, which BLACK and the delta chunks
// only partly overwrite.
#include <cstring>
#include <string>
#include <vector>

#include "image/decoders.h"
#include "image/pil_convert.h"

namespace vit::image {
namespace {

uint32_t U16(const uint8_t* p) { return p[0] | (uint32_t{p[1]} << 8); }
uint32_t U32(const uint8_t* p) { return U16(p) | (U16(p + 2) << 16); }

constexpr size_t kFrameAt = 128;

// FliImagePlugin._open's palette search: the subchunks of the frame at 128, walked by their sizes,
// reading past the end of a chunk where the packets say so, as Python's file reads do.
Palette ReadPalette(const DecodeContext& ctx) {
  const auto bytes = ctx.bytes();
  Palette palette;
  size_t at = kFrameAt + 16;
  auto need = [&](size_t n, const char* what) {
    if (at > bytes.size() || bytes.size() - at < n) ctx.Fail(std::string("truncated FLI: the file ends inside ") + what);
  };
  const uint32_t subchunks = U16(bytes.data() + kFrameAt + 6);
  for (uint32_t c = 0; c < subchunks; ++c) {
    need(6, "a chunk header");
    const uint8_t* chunk = bytes.data() + at;
    const uint32_t type = U16(chunk + 4);
    at += 6;
    if (type == 4 || type == 11) {
      const int shift = type == 11 ? 2 : 0;
      need(2, "the palette");
      const uint32_t packets = U16(bytes.data() + at);
      at += 2;
      uint32_t index = 0;
      for (uint32_t p = 0; p < packets; ++p) {
        need(2, "the palette");
        index += bytes[at];
        const uint32_t count = bytes[at + 1] == 0 ? 256 : bytes[at + 1];
        at += 2;
        // Python's read returns what is left; a partial colour is an IndexError.
        const size_t got = std::min<size_t>(count * 3, bytes.size() - std::min(at, bytes.size()));
        if (got % 3 != 0) ctx.Fail("truncated FLI: the file ends inside a palette colour");
        for (size_t k = 0; k < got; k += 3, ++index) {
          if (index > 255) ctx.Fail("FLI palette chunk sets colours past entry 255");
          const uint8_t* rgb = bytes.data() + at + k;
          palette.Set(static_cast<int>(index), static_cast<uint8_t>(rgb[0] << shift),
                      static_cast<uint8_t>(rgb[1] << shift), static_cast<uint8_t>(rgb[2] << shift));
        }
        at += got;
      }
      break;
    }
    const uint32_t size = U32(chunk);
    if (size == 0) break;
    at = static_cast<size_t>(chunk - bytes.data()) + size;
  }
  return palette;
}

// FliDecode.c over `buf`, the frame as read: the header, then its subchunks into `pixels`.
class FrameDecoder {
 public:
  FrameDecoder(const DecodeContext& ctx, const uint8_t* buf, size_t size, size_t width, size_t height,
               std::vector<uint8_t>& pixels)
      : ctx_(ctx), buf_(buf), end_(buf + size), w_(width), h_(height), pixels_(pixels) {}

  void Run() {
    if (U16(buf_ + 4) != 0xF1FA) ctx_.Fail("FLI frame 1 is not a frame chunk (a prefix chunk is not supported)");
    const uint32_t chunks = U16(buf_ + 6);
    const uint8_t* ptr = buf_ + 16;
    for (uint32_t c = 0; c < chunks; ++c) {
      if (ptr > end_ || end_ - ptr < 10) Overrun("a subchunk header");
      const uint32_t type = U16(ptr + 4);
      const uint8_t* data = ptr + 6;
      switch (type) {
        case 4:
        case 11:
        case 18:  // palettes (read at open) and the postage stamp
          break;
        case 7:
          WordDelta(data);
          break;
        case 12:
          ByteDelta(data);
          break;
        case 13:
          std::memset(pixels_.data(), 0, pixels_.size());
          break;
        case 15:
          ByteRun(data);
          break;
        case 16:
          Copy(ptr, data);
          break;
        default:
          ctx_.Fail("unknown FLI chunk type " + std::to_string(type) + " in frame 1", ErrorKind::kUnsupported);
      }
      const uint32_t advance = U32(ptr);
      if (advance == 0) ctx_.Fail("FLI chunk of size 0 in frame 1");
      if (advance >= 0x80000000u || advance > static_cast<size_t>(end_ - ptr)) Overrun("a subchunk");
      ptr += advance;
    }
  }

 private:
  [[noreturn]] void Overrun(const char* what) const {
    ctx_.Fail(std::string("FLI frame 1: ") + what + " runs past the end of the frame");
  }
  // ERR_IF_DATA_OOB: `n` bytes from `data` must lie in the buffer.
  void Need(const uint8_t* data, size_t n, const char* what) const {
    if (data > end_ || static_cast<size_t>(end_ - data) < n) Overrun(what);
  }
  uint8_t* Row(size_t y) { return pixels_.data() + y * w_; }

  void WordDelta(const uint8_t* data) {
    const uint32_t lines = U16(data);
    data += 2;
    size_t l = 0, y = 0;
    for (; l < lines && y < h_; ++l, ++y) {
      uint8_t* row = Row(y);
      Need(data, 2, "an SS2 line");
      uint32_t packets = U16(data);
      data += 2;
      while ((packets & 0x8000) != 0) {
        if ((packets & 0x4000) != 0) {
          y += 65536 - packets;  // a line skip
          if (y >= h_) ctx_.Fail("FLI SS2 chunk skips past the last line");
          row = Row(y);
        } else {
          row[w_ - 1] = static_cast<uint8_t>(packets);  // the last pixel of an odd width
        }
        Need(data, 2, "an SS2 line");
        packets = U16(data);
        data += 2;
      }
      size_t p = 0, x = 0;
      for (; p < packets; ++p) {
        Need(data, 2, "an SS2 packet");
        x += data[0];
        if (data[1] >= 128) {
          Need(data, 4, "an SS2 packet");
          const size_t n = 256 - data[1];
          if (x + 2 * n > w_) break;
          for (size_t j = 0; j < n; ++j, x += 2) {
            row[x] = data[2];
            row[x + 1] = data[3];
          }
          data += 4;
        } else {
          const size_t n = 2 * size_t{data[1]};
          if (x + n > w_) break;
          Need(data, 2 + n, "an SS2 packet");
          if (n > 0) std::memcpy(row + x, data + 2, n);
          data += 2 + n;
          x += n;
        }
      }
      if (p < packets) break;
    }
    if (l < lines) ctx_.Fail("FLI SS2 chunk: a line overruns the image width or height");
  }

  void ByteDelta(const uint8_t* data) {
    size_t y = U16(data);
    const size_t ymax = y + U16(data + 2);
    data += 4;
    for (; y < ymax && y < h_; ++y) {
      uint8_t* row = Row(y);
      Need(data, 1, "an LC line");
      const size_t packets = *data++;
      size_t p = 0, x = 0;
      for (; p < packets; ++p) {
        Need(data, 2, "an LC packet");
        x += data[0];
        size_t n = 0;
        if ((data[1] & 0x80) != 0) {
          n = 256 - data[1];
          if (x + n > w_) break;
          Need(data, 3, "an LC packet");
          std::memset(row + x, data[2], n);
          data += 3;
        } else {
          n = data[1];
          if (x + n > w_) break;
          Need(data, 2 + n, "an LC packet");
          if (n > 0) std::memcpy(row + x, data + 2, n);
          data += 2 + n;
        }
        x += n;
      }
      if (p < packets) break;
    }
    if (y < ymax) ctx_.Fail("FLI LC chunk: a line overruns the image width or height");
  }

  void ByteRun(const uint8_t* data) {
    for (size_t y = 0; y < h_; ++y) {
      uint8_t* row = Row(y);
      data += 1;  // the packet count, which the decoder ignores
      size_t x = 0;
      while (x < w_) {
        Need(data, 2, "a BRUN line");
        size_t n = 0;
        if ((data[0] & 0x80) != 0) {
          n = 256 - data[0];
          if (x + n > w_) break;
          Need(data, n + 1, "a BRUN line");
          std::memcpy(row + x, data + 1, n);
          data += n + 1;
        } else {
          n = data[0];
          if (x + n > w_) break;
          std::memset(row + x, data[1], n);
          data += 2;
        }
        x += n;
      }
      if (x != w_) ctx_.Fail("FLI BRUN chunk: line " + std::to_string(y) + " does not fill the image width");
    }
  }

  void Copy(const uint8_t* chunk, const uint8_t* data) {
    // Pillow's check counts from the subchunk's start, its copy from after the 6-byte header: where
    // they disagree it would read past its buffer, so such a frame is refused here.
    const size_t left = static_cast<size_t>(end_ - chunk);
    if (w_ > left / h_ || left - 6 < w_ * h_) ctx_.Fail("truncated FLI: the COPY chunk holds less than a frame");
    std::memcpy(pixels_.data(), data, w_ * h_);
  }

  const DecodeContext& ctx_;
  const uint8_t* buf_;
  const uint8_t* end_;
  size_t w_, h_;
  std::vector<uint8_t>& pixels_;
};

}  // namespace

bool LooksLikeFli(std::span<const uint8_t> bytes) {
  if (bytes.size() < kFrameAt + 6) return false;  // _open reads the frame header's type
  const uint32_t magic = U16(bytes.data() + 4), flags = U16(bytes.data() + 14);
  return (magic == 0xAF11 || magic == 0xAF12) && (flags == 0 || flags == 3) && bytes[20] == 0 && bytes[21] == 0;
}

Decoded DecodeFli(const DecodeContext& ctx) {
  const auto bytes = ctx.bytes();
  if (!LooksLikeFli(bytes)) ctx.Fail("not an FLI/FLC file");
  const int64_t width = U16(bytes.data() + 8), height = U16(bytes.data() + 10);
  ctx.CheckSize(width, height);
  if (U16(bytes.data() + kFrameAt + 4) == 0xF100) {
    ctx.Fail("FLI prefix chunk before frame 1 (Pillow 9.4 reads it as the frame)", ErrorKind::kUnsupported);
  }
  // _open reads the frame's subchunk count before anything else; a file that ends first is not FLI to
  // Pillow (struct.error).
  if (bytes.size() < kFrameAt + 8) ctx.Fail("truncated FLI: the file ends inside frame 1's header");
  const Palette palette = ReadPalette(ctx);
  // ImageFile.load reads the frame's stated size, and the decoder waits for all of it.
  const size_t frame_size = U32(bytes.data() + kFrameAt);
  if (frame_size > bytes.size() - kFrameAt) ctx.Fail("truncated FLI: the file ends inside frame 1");
  if (frame_size < 8) ctx.Fail("FLI frame 1 is shorter than its header");
  const auto w = static_cast<size_t>(width), h = static_cast<size_t>(height);
  std::vector<uint8_t> pixels(w * h, 0);
  FrameDecoder(ctx, bytes.data() + kFrameAt, frame_size, w, h, pixels).Run();
  Decoded decoded;
  decoded.image = AllocateImage(ctx, width, height);
  for (size_t y = 0; y < h; ++y) {
    PaletteRowToRgb(pixels.data() + y * w, w, palette, decoded.image.rgb.data() + y * w * 3);
  }
  return decoded;
}

}  // namespace vit::image
