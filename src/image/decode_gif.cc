// GIF, first frame only, laid out as Pillow 9.4's GifImagePlugin loads frame 0: the canvas is the
// logical screen (grown to hold the frame if the frame pokes out), filled with the frame's transparent
// index when its graphic control extension names one and with index 0 otherwise, and the frame is
// decoded into its rectangle. convert("RGB") then looks every index up in the local colour table, else
// the global one, else Pillow's grey ramp (which also answers for indices past the end of a short table).
//
// giflib reads the blocks up to the frame's image data; the LZW data is decoded here (GifLzw) as
// Pillow's own decoder reads it, which giflib does not: giflib refuses a minimum code size above 8
// (non-conforming encoders write up to 12) and a frame that lacks its block terminator after the last
// pixel, and decodes data Pillow calls a broken stream. Codes widen after the entry 2^width - 1 is
// added, the table stops growing at 4096 entries, a code past the next free entry is refused, data
// that ends (an end code, the block terminator, or a sub-block the file cuts short) before the last
// pixel is refused, and a literal above 255 keeps its low byte, as in an 8-bit "P" image.
#include <gif_lib.h>

#include <algorithm>
#include <memory>
#include <vector>

#include "image/decoders.h"
#include "image/pil_convert.h"

namespace vit::image {
namespace {

struct Source {
  std::span<const uint8_t> bytes;
  size_t offset = 0;
};

int ReadFromMemory(GifFileType* gif, GifByteType* out, int n) {
  auto* src = static_cast<Source*>(gif->UserData);
  const size_t want = n < 0 ? 0 : static_cast<size_t>(n);
  const size_t got = std::min(want, src->bytes.size() - src->offset);
  std::copy_n(src->bytes.data() + src->offset, got, out);
  src->offset += got;
  return static_cast<int>(got);
}

struct GifCloser {
  void operator()(GifFileType* gif) const {
    int error = 0;
    DGifCloseFile(gif, &error);
  }
};

std::string GifError(const GifFileType* gif) {
  const char* text = GifErrorString(gif->Error);
  return text != nullptr ? text : "unknown giflib error";
}

void FillPalette(const ColorMapObject* map, Palette& palette) {
  if (map == nullptr) return;
  for (int i = 0; i < map->ColorCount && i < 256; ++i) {
    palette.Set(i, map->Colors[i].Red, map->Colors[i].Green, map->Colors[i].Blue);
  }
}

// LZW over the data sub-blocks that start at `at` (after the minimum-code-size byte).
class GifLzw {
 public:
  GifLzw(const DecodeContext& ctx, size_t at, int min_code_size)
      : ctx_(ctx), at_(at), clear_(1 << min_code_size), end_(clear_ + 1), min_width_(min_code_size + 1) {
    Reset();
  }

  // The next `n` pixels into `out`; false once the end code (or nothing more) came before them.
  bool Read(uint8_t* out, size_t n) {
    for (size_t i = 0; i < n; ++i) {
      if (stack_.empty() && !Refill()) return false;
      out[i] = static_cast<uint8_t>(stack_.back());
      stack_.pop_back();
    }
    return true;
  }

 private:
  void Reset() {
    width_ = min_width_;
    next_ = end_ + 1;
    previous_ = -1;
  }

  int NextCode() {
    while (bit_count_ < width_) {
      if (block_left_ == 0) {
        const auto bytes = ctx_.bytes();
        if (at_ >= bytes.size()) ctx_.Fail("truncated GIF: the image data ends before the last pixel");
        block_left_ = bytes[at_++];
        if (block_left_ == 0) return -1;  // the block terminator: no more data
        // Pillow's decoder takes a sub-block only once all of it is there.
        if (bytes.size() - at_ < block_left_) {
          ctx_.Fail("truncated GIF: the file ends inside a data sub-block (Pillow: image file is truncated)");
        }
      }
      const auto bytes = ctx_.bytes();
      if (at_ >= bytes.size()) ctx_.Fail("truncated GIF: the image data ends before the last pixel");
      bits_ |= static_cast<uint32_t>(bytes[at_++]) << bit_count_;
      bit_count_ += 8;
      --block_left_;
    }
    const int code = static_cast<int>(bits_ & ((1u << width_) - 1));
    bits_ >>= width_;
    bit_count_ -= width_;
    return code;
  }

  // Decodes one code's string onto the stack (reversed); false at the end code or the data's end.
  bool Refill() {
    while (true) {
      const int code = NextCode();
      if (code < 0 || code == end_) return false;
      if (code == clear_) {
        Reset();
        continue;
      }
      if (previous_ < 0) {
        if (code >= clear_) ctx_.Fail("corrupt GIF image data: the first code after a clear is not a pixel");
        stack_.push_back(code);
        first_ = code;
        previous_ = code;
        return true;
      }
      int walk = code;
      if (code > next_ || (code == next_ && next_ >= kTable)) {
        ctx_.Fail("corrupt GIF image data: LZW code " + std::to_string(code) + " is not in the table yet");
      }
      if (code == next_) {  // KwKwK: the previous string and its own first pixel
        stack_.push_back(first_);
        walk = previous_;
      }
      while (walk >= clear_) {
        stack_.push_back(suffix_[walk]);
        walk = prefix_[walk];
      }
      stack_.push_back(walk);
      first_ = walk;
      if (next_ < kTable) {
        prefix_[next_] = previous_;
        suffix_[next_] = first_;
        if (next_ == (1 << width_) - 1 && width_ < 12) ++width_;
        ++next_;
      }
      previous_ = code;
      return true;
    }
  }

  static constexpr int kTable = 4096;
  const DecodeContext& ctx_;
  size_t at_;
  const int clear_, end_, min_width_;
  int width_ = 0, next_ = 0, previous_ = -1, first_ = 0;
  size_t block_left_ = 0;
  uint32_t bits_ = 0;
  int bit_count_ = 0;
  std::vector<int> stack_;
  int prefix_[kTable] = {};
  int suffix_[kTable] = {};
};

}  // namespace

Decoded DecodeGif(const DecodeContext& ctx) {
  Source source;
  source.bytes = ctx.bytes();
  int open_error = 0;
  const std::unique_ptr<GifFileType, GifCloser> gif(DGifOpen(&source, ReadFromMemory, &open_error));
  if (!gif) {
    const char* text = GifErrorString(open_error);
    ctx.Fail(std::string("corrupt or truncated GIF header: ") + (text != nullptr ? text : "unknown giflib error"));
  }
  int transparent = -1;  // from the graphic control extension before the first image
  while (true) {
    GifRecordType record;
    if (DGifGetRecordType(gif.get(), &record) == GIF_ERROR) ctx.Fail("corrupt or truncated GIF: " + GifError(gif.get()));
    if (record == TERMINATE_RECORD_TYPE) ctx.Fail("GIF holds no image");
    if (record == EXTENSION_RECORD_TYPE) {
      int code = 0;
      GifByteType* block = nullptr;
      if (DGifGetExtension(gif.get(), &code, &block) == GIF_ERROR) {
        ctx.Fail("corrupt or truncated GIF extension: " + GifError(gif.get()));
      }
      if (code == GRAPHICS_EXT_FUNC_CODE && block != nullptr && block[0] >= 4) {
        transparent = (block[1] & 1) != 0 ? block[4] : -1;
      }
      while (block != nullptr) {
        if (DGifGetExtensionNext(gif.get(), &block) == GIF_ERROR) {
          ctx.Fail("corrupt or truncated GIF extension: " + GifError(gif.get()));
        }
      }
      continue;
    }
    if (record != IMAGE_DESC_RECORD_TYPE) continue;

    // giflib reads the descriptor, the local colour table and the minimum code size, then refuses a
    // size above 8; Pillow goes on up to 12. Where the code size byte lies is read here, as Pillow
    // reads it: a file that ends before it is one Pillow cannot identify.
    const auto bytes = ctx.bytes();
    const size_t descriptor = source.offset;
    if (descriptor > bytes.size() || bytes.size() - descriptor < 9) {
      ctx.Fail("truncated GIF: the file ends inside the first frame's descriptor (Pillow: cannot identify image file)");
    }
    const int flags = bytes[descriptor + 8];
    const size_t code_at = descriptor + 9 + ((flags & 0x80) != 0 ? size_t{3} << ((flags & 7) + 1) : 0);
    if (code_at >= bytes.size()) {
      ctx.Fail("truncated GIF: the file ends before the first frame's LZW code size (Pillow: cannot identify image file)");
    }
    const int code_size = bytes[code_at];
    const size_t data_at = code_at + 1;
    if (DGifGetImageDesc(gif.get()) == GIF_ERROR &&
        (gif->Error != D_GIF_ERR_READ_FAILED || code_size <= 8 || code_size > 12)) {
      ctx.Fail("corrupt or truncated GIF frame: " + GifError(gif.get()));
    }
    const auto lzw = std::make_unique<GifLzw>(ctx, data_at, code_size);  // 32 KB of tables: on the heap
    const GifImageDesc& frame = gif->Image;
    const int64_t x0 = frame.Left, y0 = frame.Top, fw = frame.Width, fh = frame.Height;
    const int64_t width = std::max<int64_t>(gif->SWidth, x0 + fw);
    const int64_t height = std::max<int64_t>(gif->SHeight, y0 + fh);
    ctx.CheckSize(width, height);

    Palette palette;
    FillPalette(frame.ColorMap != nullptr ? frame.ColorMap : gif->SColorMap, palette);
    std::vector<uint8_t> indices(static_cast<size_t>(width) * static_cast<size_t>(height),
                                 static_cast<uint8_t>(transparent >= 0 ? transparent : 0));
    if (fw > 0 && fh > 0) {
      // Rows arrive in stream order; interlaced frames send rows 0,8,.. then 4,12,.. then 2,6,.. then 1,3,..
      std::vector<int64_t> order;
      if (frame.Interlace) {
        for (const auto& [start, step] : {std::pair{0, 8}, std::pair{4, 8}, std::pair{2, 4}, std::pair{1, 2}}) {
          for (int64_t y = start; y < fh; y += step) order.push_back(y);
        }
      } else {
        for (int64_t y = 0; y < fh; ++y) order.push_back(y);
      }
      for (const int64_t y : order) {
        uint8_t* row = indices.data() + static_cast<size_t>(y0 + y) * static_cast<size_t>(width) + static_cast<size_t>(x0);
        if (!lzw->Read(row, static_cast<size_t>(fw))) {
          ctx.Fail("truncated GIF: the image data ends before the last pixel (Pillow: image file is truncated)");
        }
      }
    }
    Decoded decoded;
    decoded.image = AllocateImage(ctx, width, height);
    PaletteRowToRgb(indices.data(), indices.size(), palette, decoded.image.rgb.data());
    return decoded;
  }
}

}  // namespace vit::image
