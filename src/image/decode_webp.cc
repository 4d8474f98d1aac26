// WebP as Pillow 9.4 opens it with animation support compiled in (WebPImagePlugin.py, _webp.c): every
// file, still or animated, goes through WebPAnimDecoder with its default options (MODE_RGBA, no
// threads), and the first frame's canvas is the picture. Without alpha Pillow reads it as "RGBX", with
// alpha as "RGBA"; convert("RGB") keeps the first three bytes either way.
#include <webp/decode.h>
#include <webp/demux.h>

#include <memory>

#include "image/decoders.h"
#include "image/exif.h"
#include "image/pil_convert.h"

namespace vit::image {
namespace {

struct AnimDecoderDeleter {
  void operator()(WebPAnimDecoder* dec) const { WebPAnimDecoderDelete(dec); }
};

}  // namespace

Decoded DecodeWebp(const DecodeContext& ctx) {
  const WebPData data{ctx.bytes().data(), ctx.bytes().size()};
  // The size from the header first: the animation decoder allocates its canvas when it is created.
  WebPBitstreamFeatures features;
  if (WebPGetFeatures(data.bytes, data.size, &features) == VP8_STATUS_OK) ctx.CheckSize(features.width, features.height);
  WebPAnimDecoderOptions options;
  if (!WebPAnimDecoderOptionsInit(&options)) ctx.Fail("libwebp could not start", ErrorKind::kInternal);
  options.color_mode = MODE_RGBA;
  options.use_threads = 0;
  const std::unique_ptr<WebPAnimDecoder, AnimDecoderDeleter> dec(WebPAnimDecoderNew(&data, &options));
  if (!dec) ctx.Fail("corrupt or truncated WebP (libwebp cannot parse its chunks)");
  WebPAnimInfo info;
  if (!WebPAnimDecoderGetInfo(dec.get(), &info)) ctx.Fail("corrupt WebP (no canvas information)");
  ctx.CheckSize(info.canvas_width, info.canvas_height);

  Decoded decoded;
  if (ctx.want_orientation()) {
    const WebPDemuxer* demux = WebPAnimDecoderGetDemuxer(dec.get());
    WebPChunkIterator chunk;
    if (WebPDemuxGetChunk(demux, "EXIF", 1, &chunk)) {
      const bool raises = ExifLoadRaises({chunk.chunk.bytes, chunk.chunk.size});
      if (!raises) decoded.orientation = ExifOrientation({chunk.chunk.bytes, chunk.chunk.size});
      WebPDemuxReleaseChunkIterator(&chunk);
      if (raises) ctx.Fail("WebP EXIF chunk does not start with a TIFF header (Pillow: not a TIFF file)");
    }
  }
  uint8_t* rgba = nullptr;
  int timestamp = 0;
  if (!WebPAnimDecoderGetNext(dec.get(), &rgba, &timestamp)) ctx.Fail("corrupt WebP (failed to read the first frame)");
  decoded.image = AllocateImage(ctx, info.canvas_width, info.canvas_height);
  RgbaRowToRgb(rgba, static_cast<size_t>(info.canvas_width) * info.canvas_height, decoded.image.rgb.data());
  return decoded;
}

}  // namespace vit::image
