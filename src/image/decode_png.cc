// PNG through libpng, with the modes of Pillow's PngImagePlugin (_MODES) and what convert("RGB") then
// does with them: 1/2/4-bit grey scaled to 0..255 ("1", "L;2", "L;4"), 16-bit grey opened as "I" and
// clipped at 255, other 16-bit samples reduced to their high byte (";16B" raw modes), palettes looked up
// with Pillow's grey ramp behind the entries PLTE defines, alpha and tRNS ignored.
//
// Pillow reads PNG with its own chunk reader: it checks the CRC of every chunk before the first IDAT
// and none after, and it does not need IEND. A walk over the chunks here does the same checks (and picks
// up EXIF for exif_transpose); libpng is then told to leave CRCs alone and is never asked for IEND.
#include <png.h>
#include <zlib.h>

#include <csetjmp>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "image/decoders.h"
#include "image/exif.h"
#include "image/pil_convert.h"

namespace vit::image {
namespace {

uint32_t BigEndian32(const uint8_t* p) {
  return (uint32_t{p[0]} << 24) | (uint32_t{p[1]} << 16) | (uint32_t{p[2]} << 8) | p[3];
}

// Pillow's is_cid: four word characters.
bool IsChunkType(const uint8_t* p) {
  for (int i = 0; i < 4; ++i) {
    const uint8_t c = p[i];
    if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_')) return false;
  }
  return true;
}

std::string ChunkName(const uint8_t* p) { return std::string(reinterpret_cast<const char*>(p), 4); }

// zlib-inflates at most `limit` bytes (Pillow's MAX_TEXT_CHUNK is 1 MB); empty on any error.
std::string Inflate(const uint8_t* data, size_t size, size_t limit) {
  z_stream z{};
  if (inflateInit(&z) != Z_OK) return {};
  std::string out(limit, '\0');
  z.next_in = const_cast<Bytef*>(data);
  z.avail_in = static_cast<uInt>(size);
  z.next_out = reinterpret_cast<Bytef*>(out.data());
  z.avail_out = static_cast<uInt>(limit);
  const int rc = inflate(&z, Z_FINISH);
  const size_t produced = limit - z.avail_out;
  inflateEnd(&z);
  if (rc != Z_STREAM_END) return {};
  out.resize(produced);
  return out;
}

// The orientation Pillow's getexif() finds in PNG metadata: eXIf, else a "Raw profile type exif" text
// (ImageMagick's hex dump), then the XMP fallback from an "XML:com.adobe.xmp" iTXt.
struct PngMetadata {
  std::vector<uint8_t> exif;
  bool has_exif = false;
  std::string raw_profile_exif;
  std::string xmp;

  int Orientation() const {
    if (has_exif) {
      const int o = ExifOrientation(exif);
      if (o != 1) return o;
    } else if (!raw_profile_exif.empty()) {
      // "".join(text.split("\n")[3:]) then bytes.fromhex (whitespace ignored).
      size_t line = 0, at = 0;
      while (line < 3 && at < raw_profile_exif.size()) {
        if (raw_profile_exif[at++] == '\n') ++line;
      }
      std::vector<uint8_t> bytes;
      int high = -1;
      for (; at < raw_profile_exif.size(); ++at) {
        const char c = raw_profile_exif[at];
        int v;
        if (c >= '0' && c <= '9') {
          v = c - '0';
        } else if (c >= 'a' && c <= 'f') {
          v = c - 'a' + 10;
        } else if (c >= 'A' && c <= 'F') {
          v = c - 'A' + 10;
        } else if (c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\v' || c == '\f') {
          continue;
        } else {
          return 1;
        }
        if (high < 0) {
          high = v;
        } else {
          bytes.push_back(static_cast<uint8_t>(high * 16 + v));
          high = -1;
        }
      }
      const int o = ExifOrientation(bytes);
      if (o != 1) return o;
    }
    return XmpOrientation(xmp);
  }
};

void ReadTextChunk(const uint8_t* type, const uint8_t* data, size_t size, PngMetadata& meta) {
  constexpr size_t kMaxText = size_t{1} << 20;
  const auto* text = reinterpret_cast<const char*>(data);
  const size_t nul = std::string_view(text, size).find('\0');
  if (nul == std::string_view::npos) return;
  const std::string_view keyword(text, nul);
  const bool is_raw_exif = keyword == "Raw profile type exif";
  const bool is_xmp = keyword == "XML:com.adobe.xmp";
  if (!is_raw_exif && !is_xmp) return;
  std::string value;
  const std::string kind = ChunkName(type);
  if (kind == "tEXt") {
    value.assign(text + nul + 1, size - nul - 1);
  } else if (kind == "zTXt") {
    if (size < nul + 2) return;
    value = Inflate(data + nul + 2, size - nul - 2, kMaxText);
  } else {  // iTXt: keyword\0 flag method language\0 translated\0 text
    if (size < nul + 3) return;
    const bool compressed = data[nul + 1] != 0;
    size_t at = nul + 3;
    for (int skip = 0; skip < 2; ++skip) {
      const size_t end = std::string_view(text + at, size - at).find('\0');
      if (end == std::string_view::npos) return;
      at += end + 1;
    }
    value = compressed ? Inflate(data + at, size - at, kMaxText) : std::string(text + at, size - at);
  }
  (is_raw_exif ? meta.raw_profile_exif : meta.xmp) = std::move(value);
}

// Walks the chunks with Pillow's checks; returns the metadata found (when asked for).
PngMetadata ScanChunks(const DecodeContext& ctx) {
  const auto bytes = ctx.bytes();
  PngMetadata meta;
  size_t at = 8;
  bool seen_idat = false;
  while (true) {
    if (bytes.size() - at < 8) {
      if (seen_idat) break;  // Pillow stops quietly once the image data is in
      ctx.Fail("truncated PNG: the file ends before the image data (IDAT)");
    }
    const uint8_t* head = bytes.data() + at;
    const uint32_t length = BigEndian32(head);
    const uint8_t* type = head + 4;
    if (!IsChunkType(type)) {
      if (seen_idat) break;
      ctx.Fail("broken PNG file: chunk type " + std::to_string(type[0]) + "," + std::to_string(type[1]) + "," +
               std::to_string(type[2]) + "," + std::to_string(type[3]) + " is not four letters");
    }
    const std::string name = ChunkName(type);
    const bool is_idat = name == "IDAT";
    if (length > 0x7fffffffu || bytes.size() - at - 8 < static_cast<size_t>(length) + 4) {
      if (seen_idat || is_idat) break;  // libpng reports a short IDAT itself
      ctx.Fail("truncated PNG: chunk " + name + " runs past the end of the file");
    }
    const uint8_t* data = head + 8;
    if (!seen_idat && !is_idat) {
      const uLong crc = crc32(crc32(0L, type, 4), data, length);
      if (crc != BigEndian32(data + length)) ctx.Fail("broken PNG file: bad checksum in chunk " + name);
    }
    // The size is judged from IHDR alone, before anything else is read.
    if (name == "IHDR" && length >= 8) ctx.CheckSize(BigEndian32(data), BigEndian32(data + 4));
    if (is_idat) seen_idat = true;
    if (ctx.want_orientation()) {
      if (name == "eXIf") {
        meta.has_exif = true;
        meta.exif.assign(data, data + length);
      } else if (name == "tEXt" || name == "zTXt" || name == "iTXt") {
        ReadTextChunk(type, data, length, meta);
      }
    }
    if (name == "IEND") break;
    at += 12 + static_cast<size_t>(length);
  }
  return meta;
}

struct PngState {
  png_structp png = nullptr;
  png_infop info = nullptr;
  std::jmp_buf jump;
  std::string message;
  std::span<const uint8_t> bytes;
  size_t offset = 0;
  Image image;
  std::vector<uint8_t> raw;
  std::vector<png_bytep> rows;
  ~PngState() {
    if (png != nullptr) png_destroy_read_struct(&png, info != nullptr ? &info : nullptr, nullptr);
  }
};

void OnPngError(png_structp png, png_const_charp message) {
  auto* s = static_cast<PngState*>(png_get_error_ptr(png));
  s->message = message != nullptr ? message : "unknown libpng error";
  std::longjmp(s->jump, 1);
}

void OnPngWarning(png_structp, png_const_charp) {}

void ReadFromMemory(png_structp png, png_bytep out, size_t n) {
  auto* s = static_cast<PngState*>(png_get_io_ptr(png));
  if (s->bytes.size() - s->offset < n) png_error(png, "truncated PNG: the image data ends early");
  std::memcpy(out, s->bytes.data() + s->offset, n);
  s->offset += n;
}

// One row of libpng output (packing expanded to a byte per sample, 16-bit left big-endian) to RGB.
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

}  // namespace

Decoded DecodePng(const DecodeContext& ctx) {
  const PngMetadata meta = ScanChunks(ctx);
  auto state = std::make_unique<PngState>();
  PngState& s = *state;
  s.bytes = ctx.bytes();
  s.png = png_create_read_struct(PNG_LIBPNG_VER_STRING, &s, OnPngError, OnPngWarning);
  if (s.png == nullptr) ctx.Fail("libpng could not start", ErrorKind::kInternal);
  s.info = png_create_info_struct(s.png);
  if (s.info == nullptr) ctx.Fail("libpng could not start", ErrorKind::kInternal);
  if (setjmp(s.jump)) ctx.Fail("corrupt PNG: " + s.message);
  png_set_read_fn(s.png, &s, ReadFromMemory);
  png_set_crc_action(s.png, PNG_CRC_QUIET_USE, PNG_CRC_QUIET_USE);
  png_set_user_limits(s.png, 0x7fffffff, 0x7fffffff);
  png_set_check_for_invalid_index(s.png, 0);  // out-of-range palette indices are Pillow's grey ramp
  png_read_info(s.png, s.info);

  png_uint_32 width = 0, height = 0;
  int bit_depth = 0, color_type = 0, interlace = 0;
  png_get_IHDR(s.png, s.info, &width, &height, &bit_depth, &color_type, &interlace, nullptr, nullptr);
  ctx.CheckSize(width, height);
  Palette palette;
  if (color_type == PNG_COLOR_TYPE_PALETTE) {
    png_colorp entries = nullptr;
    int count = 0;
    if (png_get_PLTE(s.png, s.info, &entries, &count) != 0) {
      for (int i = 0; i < count && i < 256; ++i) palette.Set(i, entries[i].red, entries[i].green, entries[i].blue);
    }
  }
  if (bit_depth < 8) png_set_packing(s.png);
  const int passes = png_set_interlace_handling(s.png);
  png_read_update_info(s.png, s.info);
  const size_t row_bytes = png_get_rowbytes(s.png, s.info);

  s.image = AllocateImage(ctx, width, height);
  const size_t stride = static_cast<size_t>(width) * 3;
  if (passes > 1) {
    s.raw.resize(row_bytes * height);
    s.rows.resize(height);
    for (png_uint_32 y = 0; y < height; ++y) s.rows[y] = s.raw.data() + y * row_bytes;
    png_read_image(s.png, s.rows.data());
    for (png_uint_32 y = 0; y < height; ++y) {
      RowToRgb(s.rows[y], width, color_type, bit_depth, palette, s.image.rgb.data() + y * stride);
    }
  } else {
    s.raw.resize(row_bytes);
    for (png_uint_32 y = 0; y < height; ++y) {
      png_read_row(s.png, s.raw.data(), nullptr);
      RowToRgb(s.raw.data(), width, color_type, bit_depth, palette, s.image.rgb.data() + y * stride);
    }
  }

  Decoded decoded;
  decoded.image = std::move(s.image);
  if (ctx.want_orientation()) decoded.orientation = meta.Orientation();
  return decoded;
}

}  // namespace vit::image
