// GIF through giflib, first frame only, laid out as Pillow 9.4's GifImagePlugin loads frame 0: the
// canvas is the logical screen (grown to hold the frame if the frame pokes out), filled with the
// frame's transparent index when its graphic control extension names one and with index 0 otherwise,
// and the frame is decoded into its rectangle. convert("RGB") then looks every index up in the local
// colour table, else the global one, else Pillow's grey ramp (which also answers for indices past
// the end of a short table).
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

    if (DGifGetImageDesc(gif.get()) == GIF_ERROR) ctx.Fail("corrupt or truncated GIF frame: " + GifError(gif.get()));
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
        if (DGifGetLine(gif.get(), row, static_cast<int>(fw)) == GIF_ERROR) {
          ctx.Fail("corrupt or truncated GIF image data: " + GifError(gif.get()));
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
