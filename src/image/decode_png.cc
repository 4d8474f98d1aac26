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
#include <string_view>
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

// Pillow's limits on text chunks (PngImagePlugin): a compressed text may inflate to MAX_TEXT_CHUNK
// (ImageFile.SAFEBLOCK, 1 MB), else "Decompressed Data Too Large"; all text together to
// MAX_TEXT_MEMORY (64 MB), else "Too much memory used in text chunks". Both refuse the image.
constexpr size_t kMaxTextChunk = size_t{1} << 20;
constexpr size_t kMaxTextMemory = 64 * kMaxTextChunk;

// Inflates a zlib stream as Pillow's _safe_zlib_decompress does, through a small buffer: the text is
// kept only when `out` is given, the bytes it would take are counted in `produced`. A stream that
// ends early gives what it had (zlib's decompressobj does the same); one that is broken gives nothing.
enum class Inflated { kOk, kBroken, kTooLarge };
Inflated InflateText(const uint8_t* data, size_t size, std::string* out, size_t& produced) {
  produced = 0;
  z_stream z{};
  if (inflateInit(&z) != Z_OK) return Inflated::kBroken;
  z.next_in = const_cast<Bytef*>(data);
  z.avail_in = static_cast<uInt>(size);
  uint8_t buffer[1 << 14];
  Inflated result = Inflated::kOk;
  while (true) {
    z.next_out = buffer;
    z.avail_out = sizeof(buffer);
    const int rc = inflate(&z, Z_NO_FLUSH);
    const size_t n = sizeof(buffer) - z.avail_out;
    produced += n;
    if (produced > kMaxTextChunk) {
      result = Inflated::kTooLarge;
      break;
    }
    if (out != nullptr) out->append(reinterpret_cast<const char*>(buffer), n);
    if (rc == Z_STREAM_END || (rc == Z_BUF_ERROR && z.avail_in == 0) || (rc == Z_OK && n == 0 && z.avail_in == 0)) break;
    if (rc != Z_OK) {
      result = Inflated::kBroken;
      if (out != nullptr) out->clear();
      break;
    }
  }
  inflateEnd(&z);
  return result;
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

// One tEXt, zTXt or iTXt chunk, split as Pillow splits it. Every text counts towards Pillow's
// MAX_TEXT_MEMORY (`text_memory`); only EXIF's and XMP's are kept, and only when `keep`. Inflated
// bytes of a broken stream count too, where Pillow counts nothing: without that, chunks that each
// inflate a megabyte and then break would cost unbounded time.
void ReadTextChunk(const DecodeContext& ctx, const uint8_t* type, const uint8_t* data, size_t size, bool keep,
                   PngMetadata& meta, size_t& text_memory) {
  const auto* text = reinterpret_cast<const char*>(data);
  const size_t nul = std::string_view(text, size).find('\0');
  const std::string_view keyword(text, nul == std::string_view::npos ? size : nul);
  const bool wanted = keep && (keyword == "Raw profile type exif" || keyword == "XML:com.adobe.xmp");
  std::string value;
  size_t value_bytes = 0;
  Inflated inflated = Inflated::kOk;
  const std::string kind = ChunkName(type);
  if (nul == std::string_view::npos) {
    // no text
  } else if (kind == "tEXt") {
    value_bytes = size - nul - 1;
    if (wanted) value.assign(text + nul + 1, value_bytes);
  } else if (kind == "zTXt") {
    if (size >= nul + 2) inflated = InflateText(data + nul + 2, size - nul - 2, wanted ? &value : nullptr, value_bytes);
  } else {  // iTXt: keyword\0 flag method language\0 translated\0 text
    if (size < nul + 3) return;
    const bool compressed = data[nul + 1] != 0;
    size_t at = nul + 3;
    for (int skip = 0; skip < 2; ++skip) {
      const size_t end = std::string_view(text + at, size - at).find('\0');
      if (end == std::string_view::npos) return;
      at += end + 1;
    }
    if (compressed) {
      inflated = InflateText(data + at, size - at, wanted ? &value : nullptr, value_bytes);
    } else {
      value_bytes = size - at;
      if (wanted) value.assign(text + at, value_bytes);
    }
  }
  if (inflated == Inflated::kTooLarge) {
    ctx.Fail("PNG text chunk " + kind + " inflates to more than " + std::to_string(kMaxTextChunk) +
             " bytes (Pillow: Decompressed Data Too Large)");
  }
  text_memory += value_bytes;
  if (text_memory > kMaxTextMemory) {
    ctx.Fail("PNG text chunks hold more than " + std::to_string(kMaxTextMemory) +
             " bytes (Pillow: Too much memory used in text chunks)");
  }
  if (wanted && inflated == Inflated::kOk) {
    (keyword == "Raw profile type exif" ? meta.raw_profile_exif : meta.xmp) = std::move(value);
  }
}

// The IHDR fields the image-data check needs.
struct PngHeader {
  bool seen = false;
  uint32_t width = 0, height = 0;
  int bit_depth = 0, color_type = 0;
};

// Deflate turns at most 1032 bytes of output from one byte of input (258-byte matches at 2 bits each).
constexpr uint64_t kMaxDeflateRatio = 1032;

// A header claims a size; the image data has to be able to hold it. Checked before libpng allocates
// its rows (a 69-byte file claiming 178,956,970 x 1 pixels of 16-bit RGBA would otherwise cost gigabytes
// before "Not enough image data"), so memory only goes to images whose data is in the file.
void CheckImageDataCanHoldTheImage(const DecodeContext& ctx, const PngHeader& h, uint64_t idat_bytes) {
  if (!h.seen) return;  // libpng reports a missing IHDR
  const int channels = h.color_type == PNG_COLOR_TYPE_RGB         ? 3
                       : h.color_type == PNG_COLOR_TYPE_RGB_ALPHA  ? 4
                       : h.color_type == PNG_COLOR_TYPE_GRAY_ALPHA ? 2
                                                                   : 1;
  // Every pass of an interlaced image holds its share of the pixels, so this is a lower bound for both.
  const uint64_t raw_bits = uint64_t{h.width} * h.height * static_cast<uint64_t>(channels * h.bit_depth);
  const uint64_t raw_bytes = raw_bits / 8;
  if (idat_bytes * kMaxDeflateRatio + 64 < raw_bytes) {
    ctx.Fail("truncated PNG: " + std::to_string(h.width) + "x" + std::to_string(h.height) + " pixels need " +
             std::to_string(raw_bytes) + " bytes of image data, which the file's " + std::to_string(idat_bytes) +
             " compressed bytes of IDAT cannot hold (Pillow: image file is truncated)");
  }
}

// Walks the chunks with Pillow's checks; returns the metadata found (when asked for).
PngMetadata ScanChunks(const DecodeContext& ctx) {
  const auto bytes = ctx.bytes();
  PngMetadata meta;
  PngHeader header;
  uint64_t idat_bytes = 0;
  size_t text_memory = 0;
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
      if (is_idat) idat_bytes += bytes.size() - at - 8;
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
    if (name == "IHDR" && length >= 13 && !header.seen) {
      header = {true, BigEndian32(data), BigEndian32(data + 4), data[8], data[9]};
    }
    if (is_idat) {
      seen_idat = true;
      idat_bytes += length;
    }
    if (name == "eXIf" && ctx.want_orientation()) {
      meta.has_exif = true;
      meta.exif.assign(data, data + length);
    } else if (name == "tEXt" || name == "zTXt" || name == "iTXt") {
      ReadTextChunk(ctx, type, data, length, ctx.want_orientation(), meta, text_memory);
    }
    if (name == "IEND") break;
    at += 12 + static_cast<size_t>(length);
  }
  CheckImageDataCanHoldTheImage(ctx, header, idat_bytes);
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
  // Text, EXIF, ICC profiles and suggested palettes have been read above or are not used: libpng
  // would otherwise inflate and keep every text chunk (1,000 of them by default, each up to its 8 MB
  // chunk limit).
  static const png_byte kSkipped[] = "tEXt\0zTXt\0iTXt\0eXIf\0iCCP\0sPLT\0";
  png_set_keep_unknown_chunks(s.png, PNG_HANDLE_CHUNK_NEVER, kSkipped, 6);
  png_set_chunk_cache_max(s.png, 64);
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
