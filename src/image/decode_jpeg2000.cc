// JPEG 2000 (a bare J2K codestream or a JP2 file) as Pillow 9.4 opens it: Jpeg2KImagePlugin.py picks
// the mode and size from the header (the SIZ marker, or the JP2 header's ihdr box), then its decoder
// (Jpeg2KDecode.c) has OpenJPEG decode tile by tile and unpacks each tile's samples into that mode,
// shifting every sample to 8 bits (16 for "I;16") with rounding; convert("RGB") follows. The same
// OpenJPEG calls in the same order, so the same files fail and the same samples come out.
#include <openjpeg.h>

#include <algorithm>
#include <array>
#include <cstring>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "image/decoders.h"

namespace vit::image {
namespace {

enum class Mode { kNone, kL, kI16, kLA, kRGB, kRGBA };

struct Header {
  int64_t width = 0;
  int64_t height = 0;
  Mode mode = Mode::kNone;
  bool jp2 = false;
};

uint64_t BigEndian(const uint8_t* p, int n) {
  uint64_t v = 0;
  for (int i = 0; i < n; ++i) v = (v << 8) | p[i];
  return v;
}

// Pillow's BoxReader: a file position that may run past the end (seeks do, reads then come up short),
// the bytes left in the current box (-1 between boxes) and, for a box's contents, their length.
class BoxReader {
 public:
  BoxReader(const DecodeContext& ctx, std::span<const uint8_t> data, __int128 pos, bool has_length)
      : ctx_(ctx), data_(data), pos_(pos), has_length_(has_length) {}

  std::span<const uint8_t> Read(__int128 n) {
    if (!CanRead(n)) ctx_.Fail("corrupt JPEG 2000 header: a box is shorter than its fields (Pillow: not enough data)");
    if (pos_ + n > static_cast<__int128>(data_.size())) {
      ctx_.Fail("truncated JPEG 2000 header: the file ends inside a box");
    }
    const auto out = data_.subspan(static_cast<size_t>(pos_), static_cast<size_t>(n));
    pos_ += n;
    if (remaining_ > 0) remaining_ -= n;
    return out;
  }
  BoxReader Contents() {
    const auto bytes = Read(remaining_);
    return BoxReader(ctx_, bytes, 0, true);
  }
  bool HasNextBox() const { return !has_length_ || pos_ + remaining_ < static_cast<__int128>(data_.size()); }
  std::string_view NextBoxType() {
    if (remaining_ > 0) pos_ += remaining_;
    remaining_ = -1;
    const auto head = Read(8);
    __int128 length = static_cast<__int128>(BigEndian(head.data(), 4));
    __int128 header_length = 8;
    if (length == 1) {
      length = BigEndian(Read(8).data(), 8);
      header_length = 16;
    }
    if (length < header_length || !CanRead(length - header_length)) {
      ctx_.Fail("corrupt JPEG 2000 header: a box length is invalid");
    }
    remaining_ = length - header_length;
    return {reinterpret_cast<const char*>(head.data()) + 4, 4};
  }

 private:
  bool CanRead(__int128 n) const {
    if (has_length_ && pos_ + n > static_cast<__int128>(data_.size())) return false;
    return remaining_ < 0 || n <= remaining_;
  }

  const DecodeContext& ctx_;
  std::span<const uint8_t> data_;
  __int128 pos_;
  bool has_length_;
  __int128 remaining_ = -1;
};

Mode ModeFor(uint64_t components, int depth_field) {
  switch (components) {
    case 1:
      return (depth_field & 0x7F) > 8 ? Mode::kI16 : Mode::kL;
    case 2:
      return Mode::kLA;
    case 3:
      return Mode::kRGB;
    case 4:
      return Mode::kRGBA;
    default:
      return Mode::kNone;
  }
}

// _parse_codestream: the SIZ segment after the SOC marker. Pillow reads each component's Ssiz three
// bytes early (offset 36), so the depth it tests for component 0 is in fact Ssiz itself.
Header ParseCodestream(const DecodeContext& ctx) {
  const auto bytes = ctx.bytes();
  if (bytes.size() < 6) ctx.Fail("truncated JPEG 2000 codestream: no SIZ marker segment");
  const int64_t lsiz = static_cast<int64_t>(BigEndian(&bytes[4], 2));
  const size_t rest = bytes.size() - 6;
  const size_t body = lsiz - 2 < 0 ? rest : std::min<size_t>(rest, static_cast<size_t>(lsiz - 2));
  const auto siz = bytes.subspan(4, 2 + body);
  if (siz.size() < 38) ctx.Fail("truncated JPEG 2000 codestream: the SIZ marker segment is cut short");
  const uint8_t* p = siz.data();
  const int64_t xsiz = BigEndian(p + 4, 4), ysiz = BigEndian(p + 8, 4);
  const int64_t xosiz = BigEndian(p + 12, 4), yosiz = BigEndian(p + 16, 4);
  const uint64_t csiz = BigEndian(p + 36, 2);
  if (siz.size() < 36 + 3 * csiz) ctx.Fail("truncated JPEG 2000 codestream: the SIZ component list is cut short");
  Header header;
  header.width = xsiz - xosiz;
  header.height = ysiz - yosiz;
  header.mode = csiz >= 1 ? ModeFor(csiz, p[38]) : Mode::kNone;
  return header;
}

// _parse_jp2_header: the boxes after the 12-byte signature box, up to the JP2 header box, and within it
// the last ihdr box; a res box's resc is read (and its errors raised) though the resolution is unused.
Header ParseJp2(const DecodeContext& ctx) {
  BoxReader reader(ctx, ctx.bytes(), 12, false);
  std::unique_ptr<BoxReader> header;
  while (reader.HasNextBox()) {
    const std::string_view type = reader.NextBoxType();
    if (type == "jp2h") {
      header = std::make_unique<BoxReader>(reader.Contents());
      break;
    }
    if (type == "ftyp") reader.Read(4);
  }
  Header out;
  out.jp2 = true;
  bool have_size = false;
  while (header->HasNextBox()) {
    const std::string_view type = header->NextBoxType();
    if (type == "ihdr") {
      const uint8_t* p = header->Read(11).data();
      out.height = static_cast<int64_t>(BigEndian(p, 4));
      out.width = static_cast<int64_t>(BigEndian(p + 4, 4));
      have_size = true;
      const Mode mode = ModeFor(BigEndian(p + 8, 2), p[10]);
      if (mode != Mode::kNone) out.mode = mode;
    } else if (type == "res ") {
      BoxReader res = header->Contents();
      while (res.HasNextBox()) {
        if (res.NextBoxType() == "resc") {
          res.Read(10);
          break;
        }
      }
    }
  }
  if (!have_size || out.mode == Mode::kNone) {
    ctx.Fail("malformed JP2 header: no image header box with 1 to 4 components (Pillow: Malformed JP2 header)");
  }
  return out;
}

// Pillow's j2k_read / j2k_skip over the file. Its skip returns the new position rather than the count
// skipped, and no seek function is set; both kept, since OpenJPEG's byte accounting follows them.
struct Source {
  std::span<const uint8_t> bytes;
  uint64_t pos = 0;
};

OPJ_SIZE_T ReadFn(void* buffer, OPJ_SIZE_T n, void* user) {
  auto* src = static_cast<Source*>(user);
  if (src->pos >= src->bytes.size()) return static_cast<OPJ_SIZE_T>(-1);
  const size_t count = std::min<uint64_t>(n, src->bytes.size() - src->pos);
  std::memcpy(buffer, src->bytes.data() + src->pos, count);
  src->pos += count;
  return count;
}

OPJ_OFF_T SkipFn(OPJ_OFF_T n, void* user) {
  auto* src = static_cast<Source*>(user);
  if (n < 0 && static_cast<uint64_t>(-n) > src->pos) return -1;  // Python's seek refuses a negative position
  src->pos += static_cast<uint64_t>(n);
  return src->pos != 0 ? static_cast<OPJ_OFF_T>(src->pos) : -1;
}

void ErrorFn(const char* msg, void* user) {
  auto* message = static_cast<std::string*>(user);
  if (message->empty()) *message = msg;
}

struct StreamDeleter {
  void operator()(opj_stream_t* s) const { opj_stream_destroy(s); }
};
struct CodecDeleter {
  void operator()(opj_codec_t* c) const { opj_destroy_codec(c); }
};
struct ImageDeleter {
  void operator()(opj_image_t* i) const { opj_image_destroy(i); }
};

// ImagingConvertYCbCr2RGB's tables: (k * 64 * (i - 128) + 0.5) truncated toward zero, as Pillow's
// ConvertYCbCr.c holds them (checked against convert("RGB") on all 2^24 YCbCr triples).
struct YccTables {
  std::array<int, 256> r_cr, g_cb, g_cr, b_cb;
  YccTables() {
    for (int i = 0; i < 256; ++i) {
      const double d = (i - 128) * 64.0;
      r_cr[i] = static_cast<int>(1.40200 * d + 0.5);
      g_cb[i] = static_cast<int>(-0.34414 * d + 0.5);
      g_cr[i] = static_cast<int>(-0.71414 * d + 0.5);
      b_cb[i] = static_cast<int>(1.77200 * d + 0.5);
    }
  }
};

uint8_t Clip(int v) { return static_cast<uint8_t>(v <= 0 ? 0 : v >= 255 ? 255 : v); }

// One component's unpacking as Jpeg2KDecode.c does it: bytes per sample from the precision (3 read
// as 4), a sign offset plus half a step of rounding when narrowing, then the shift. A subsampled
// component's plane is taken as (w / dx) x (h / dy) samples, Pillow's arithmetic (not OpenJPEG's
// rounding up), and each pixel reads sample (y / dy, x / dx) of it.
struct Component {
  int shift = 0;
  unsigned offset = 0;
  size_t size = 1;
  size_t dx = 1, dy = 1;
  size_t stride = 0;
  const uint8_t* plane = nullptr;
  const uint8_t* end = nullptr;

  Component(const opj_image_comp_t& comp, int bits) : dx(comp.dx), dy(comp.dy) {
    const int prec = static_cast<int>(comp.prec);
    shift = bits - prec;
    offset = comp.sgnd ? 1u << (prec - 1) : 0;
    size = static_cast<size_t>((prec + 7) >> 3);
    if (size == 3) size = 4;
    if (shift < 0) offset += 1u << (-shift - 1);
  }
  size_t PlaneBytes(size_t w, size_t h) const { return size * (w / dx) * (h / dy); }
  unsigned At(size_t x, size_t y) const {
    const uint8_t* p = plane + size * ((y / dy) * stride + x / dx);
    unsigned word = 0;
    if (p + size > end) {
      word = 0;  // past the buffer: cannot happen while it holds w * h * (bytes of every component)
    } else if (size == 1) {
      word = *p;
    } else if (size == 2) {
      uint16_t w;
      std::memcpy(&w, p, 2);
      word = w;
    } else {
      uint32_t w;
      std::memcpy(&w, p, 4);
      word = w;
    }
    const unsigned v = offset + word;
    return shift < 0 ? v >> -shift : v << shift;
  }
};

enum class Unpack { kGray, kGray16, kRgb, kYcc };

// j2k_unpackers: which (mode, colour space, component count) Pillow can unpack, reduced to what the RGB
// conversion keeps. Only the sRGB and sYCC unpackers take subsampled components.
bool FindUnpacker(Mode mode, OPJ_COLOR_SPACE space, unsigned comps, bool subsampled, Unpack& unpack) {
  switch (mode) {
    case Mode::kL:
      unpack = Unpack::kGray;
      return space == OPJ_CLRSPC_GRAY && comps == 1 && !subsampled;
    case Mode::kI16:
      unpack = Unpack::kGray16;
      return space == OPJ_CLRSPC_GRAY && comps == 1 && !subsampled;
    case Mode::kLA:
      unpack = Unpack::kGray;
      return space == OPJ_CLRSPC_GRAY && comps == 2 && !subsampled;
    case Mode::kRGB:
    case Mode::kRGBA:
      if (space == OPJ_CLRSPC_GRAY && (comps == 1 || comps == 2)) {
        unpack = Unpack::kGray;
        return !subsampled;
      }
      unpack = space == OPJ_CLRSPC_SYCC ? Unpack::kYcc : Unpack::kRgb;
      return (space == OPJ_CLRSPC_SRGB || space == OPJ_CLRSPC_SYCC) && (comps == 3 || comps == 4);
    case Mode::kNone:
      break;
  }
  return false;
}

}  // namespace

Decoded DecodeJpeg2000(const DecodeContext& ctx) {
  const bool jp2 = ctx.bytes().size() >= 4 && ctx.bytes()[0] == 0;
  const Header header = jp2 ? ParseJp2(ctx) : ParseCodestream(ctx);
  Decoded decoded;
  // Image.open's checks on the header's size, before OpenJPEG allocates anything.
  decoded.image = AllocateImage(ctx, header.width, header.height);
  std::fill(decoded.image.rgb.begin(), decoded.image.rgb.end(), 0);  // Pillow's new image is zeroed
  const int64_t width = header.width, height = header.height;

  Source source{ctx.bytes(), 0};
  std::unique_ptr<opj_stream_t, StreamDeleter> stream(opj_stream_create(OPJ_J2K_STREAM_CHUNK_SIZE, OPJ_TRUE));
  if (!stream) ctx.Fail("OpenJPEG could not start", ErrorKind::kInternal);
  opj_stream_set_read_function(stream.get(), ReadFn);
  opj_stream_set_skip_function(stream.get(), SkipFn);
  opj_stream_set_user_data(stream.get(), &source, nullptr);
  opj_stream_set_user_data_length(stream.get(), ctx.bytes().size());

  opj_dparameters_t params;
  opj_set_default_decoder_parameters(&params);
  params.cp_reduce = 0;
  params.cp_layer = 0;
  std::unique_ptr<opj_codec_t, CodecDeleter> codec(opj_create_decompress(jp2 ? OPJ_CODEC_JP2 : OPJ_CODEC_J2K));
  if (!codec) ctx.Fail("OpenJPEG could not start", ErrorKind::kInternal);
  std::string message;
  opj_set_error_handler(codec.get(), ErrorFn, &message);
  opj_setup_decoder(codec.get(), &params);
  const auto broken = [&](const std::string& what) {
    std::string reason = "corrupt JPEG 2000 (" + what;
    if (!message.empty()) {
      while (!message.empty() && (message.back() == '\n' || message.back() == ' ')) message.pop_back();
      reason += "; OpenJPEG: " + message;
    }
    ctx.Fail(reason + ")");
  };

  opj_image_t* raw_image = nullptr;
  if (!opj_read_header(stream.get(), codec.get(), &raw_image)) {
    opj_image_destroy(raw_image);
    broken("unreadable main header");
  }
  const std::unique_ptr<opj_image_t, ImageDeleter> image(raw_image);
  if (image->numcomps < 1 || image->numcomps > 4 || image->color_space == OPJ_CLRSPC_UNKNOWN) {
    broken(image->color_space == OPJ_CLRSPC_UNKNOWN ? "a colour space Pillow cannot read"
                                                    : std::to_string(image->numcomps) + " components");
  }
  // The first subsampled component, if any: Pillow's guess of an unspecified colour space takes
  // subsampled chroma (component 1 or 2) for YCbCr.
  int subsampled = -1;
  for (unsigned n = 0; n < image->numcomps; ++n) {
    if (image->comps[n].prec < 1 || image->comps[n].prec > 31) broken("sample precision out of range");
    if (subsampled < 0 && (image->comps[n].dx != 1 || image->comps[n].dy != 1)) subsampled = static_cast<int>(n);
  }
  OPJ_COLOR_SPACE space = image->color_space;
  if (space == OPJ_CLRSPC_UNSPECIFIED) {
    space = image->numcomps <= 2                      ? OPJ_CLRSPC_GRAY
            : (subsampled == 1 || subsampled == 2) ? OPJ_CLRSPC_SYCC
                                                   : OPJ_CLRSPC_SRGB;
  }
  Unpack unpack;
  if (!FindUnpacker(header.mode, space, image->numcomps, subsampled >= 0, unpack)) {
    broken("the header's mode does not match the codestream's components");
  }
  static const YccTables ycc;

  std::vector<uint8_t> buffer;
  uint64_t pillow_widths = 0;
  for (;;) {
    OPJ_UINT32 index = 0, data_size = 0, comps = 0;
    OPJ_INT32 x0 = 0, y0 = 0, x1 = 0, y1 = 0;
    OPJ_BOOL more = OPJ_FALSE;
    if (!opj_read_tile_header(codec.get(), stream.get(), &index, &data_size, &x0, &y0, &x1, &y1, &comps, &more)) {
      broken("unreadable tile header");
    }
    if (!more) break;
    if (x0 >= x1 || y0 >= y1 || x0 < 0 || y0 < 0 || static_cast<OPJ_UINT32>(x0) < image->x0 ||
        static_cast<OPJ_UINT32>(y0) < image->y0 || static_cast<OPJ_INT32>(x1 - image->x0) > width ||
        static_cast<OPJ_INT32>(y1 - image->y0) > height) {
      broken("a tile outside the image");
    }
    if (comps != image->numcomps) broken("a tile with another number of components");
    const size_t w = static_cast<size_t>(x1 - x0), h = static_cast<size_t>(y1 - y0);
    std::vector<Component> parts;
    size_t bytes_per_pixel = 0;
    for (unsigned n = 0; n < image->numcomps; ++n) {
      parts.emplace_back(image->comps[n], unpack == Unpack::kGray16 ? 16 : 8);
      bytes_per_pixel += parts.back().size;
    }
    // Pillow's total of component widths is never reset between tiles, so its overflow check (and its
    // buffer, zeroed each time it grows, which is every tile) sees the running sum.
    pillow_widths += bytes_per_pixel;
    constexpr uint64_t kUintMax = 0xFFFFFFFFu;
    if (w > kUintMax / pillow_widths || h > kUintMax / pillow_widths || w > kUintMax / (h * pillow_widths) ||
        h > kUintMax / (w * pillow_widths)) {
      broken("tiles too large for Pillow's buffer");
    }
    const size_t size = std::max<size_t>(data_size, w * h * bytes_per_pixel);
    buffer.assign(size, 0);
    if (!opj_decode_tile_data(codec.get(), index, buffer.data(), static_cast<OPJ_UINT32>(size), stream.get())) {
      broken("undecodable tile data");
    }
    const uint8_t* plane = buffer.data();
    for (auto& part : parts) {
      part.plane = plane;
      part.end = buffer.data() + buffer.size();
      part.stride = w / part.dx;
      plane += part.PlaneBytes(w, h);
    }
    const size_t ox = static_cast<size_t>(x0) - image->x0, oy = static_cast<size_t>(y0) - image->y0;
    for (size_t y = 0; y < h; ++y) {
      uint8_t* out = decoded.image.rgb.data() + ((oy + y) * static_cast<size_t>(width) + ox) * 3;
      for (size_t x = 0; x < w; ++x, out += 3) {
        switch (unpack) {
          case Unpack::kGray:
            out[0] = out[1] = out[2] = static_cast<uint8_t>(parts[0].At(x, y));
            break;
          case Unpack::kGray16: {
            const uint16_t v = static_cast<uint16_t>(parts[0].At(x, y));
            out[0] = out[1] = out[2] = static_cast<uint8_t>(std::min<unsigned>(v, 255));
            break;
          }
          case Unpack::kRgb:
            for (int c = 0; c < 3; ++c) out[c] = static_cast<uint8_t>(parts[static_cast<size_t>(c)].At(x, y));
            break;
          case Unpack::kYcc: {
            const int yy = static_cast<uint8_t>(parts[0].At(x, y));
            const uint8_t cb = static_cast<uint8_t>(parts[1].At(x, y)), cr = static_cast<uint8_t>(parts[2].At(x, y));
            out[0] = Clip(yy + (ycc.r_cr[cr] >> 6));
            out[1] = Clip(yy + ((ycc.g_cb[cb] + ycc.g_cr[cr]) >> 6));
            out[2] = Clip(yy + (ycc.b_cb[cb] >> 6));
            break;
          }
        }
      }
    }
  }
  if (!opj_end_decompress(codec.get(), stream.get())) broken("unreadable end of codestream");
  return decoded;  // Pillow reads no EXIF from JPEG 2000: the orientation stays 1
}

}  // namespace vit::image
