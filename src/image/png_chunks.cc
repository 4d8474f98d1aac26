#include "image/png_chunks.h"

#include <zlib.h>

#include <string_view>

#include "image/exif.h"

namespace vit::image {
namespace {

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

// One tEXt, zTXt or iTXt chunk, split as Pillow splits it. Every text counts towards Pillow's
// MAX_TEXT_MEMORY (`text_memory`); only EXIF's and XMP's are kept, and only when `keep`. Inflated
// bytes of a broken stream count too, where Pillow counts nothing: without that, chunks that each
// inflate a megabyte and then break would cost unbounded time.
void ReadTextChunk(const DecodeContext& ctx, const uint8_t* type, const uint8_t* data, size_t size, bool keep,
                   PngMetadata& meta, size_t& text_memory) {
  const auto* text = reinterpret_cast<const char*>(data);
  const size_t nul = std::string_view(text, size).find('\0');
  const std::string_view keyword(text, nul == std::string_view::npos ? size : nul);
  const bool wanted =
      keep && (keyword == "Raw profile type exif" || keyword == "XML:com.adobe.xmp" || keyword == "exif");
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
    if (size >= nul + 2 && data[nul + 1] != 0) {
      ctx.Fail("PNG zTXt chunk: unknown compression method " + std::to_string(data[nul + 1]) +
               " (Pillow: Unknown compression method)");
    }
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
  if (!keyword.empty() || kind == "iTXt") text_memory += value_bytes;
  if (text_memory > kMaxTextMemory) {
    ctx.Fail("PNG text chunks hold more than " + std::to_string(kMaxTextMemory) +
             " bytes (Pillow: Too much memory used in text chunks)");
  }
  // A broken zTXt stream still sets its key (to ""), a broken iTXt one does not.
  if (wanted && (inflated == Inflated::kOk || (inflated == Inflated::kBroken && kind == "zTXt"))) {
    if (keyword == "exif") {
      // info["exif"]: the bytes of a tEXt chunk, the text of the others.
      meta.has_exif = true;
      meta.exif_is_text = kind != "tEXt";
      meta.exif.assign(value.begin(), value.end());
    } else {
      (keyword == "Raw profile type exif" ? meta.raw_profile_exif : meta.xmp) = std::move(value);
    }
  }
}

}  // namespace

uint32_t PngBigEndian32(const uint8_t* p) {
  return (uint32_t{p[0]} << 24) | (uint32_t{p[1]} << 16) | (uint32_t{p[2]} << 8) | p[3];
}

int PngMetadata::Orientation(const DecodeContext& ctx) const {
  // Image.getexif(): info["exif"], else the hex dump of "Raw profile type exif" after its first three
  // lines, through Exif.load; the XMP fallback when that gives no orientation.
  std::vector<uint8_t> hex;
  const std::vector<uint8_t>* block = nullptr;
  if (has_exif) {
    if (exif_is_text && !exif.empty()) {
      ctx.Fail("PNG text chunk \"exif\" holds text where Pillow's getexif() needs bytes (Pillow: TypeError)");
    }
    block = &exif;
  } else if (!raw_profile_exif.empty()) {
    size_t line = 0, at = 0;
    while (line < 3 && at < raw_profile_exif.size()) {
      if (raw_profile_exif[at++] == '\n') ++line;
    }
    std::string joined;
    if (line == 3) {
      for (size_t i = at; i < raw_profile_exif.size(); ++i) {
        if (raw_profile_exif[i] != '\n') joined += raw_profile_exif[i];
      }
    }
    if (!FromHex(joined, hex)) {
      ctx.Fail("PNG \"Raw profile type exif\" text is not hexadecimal (Pillow: non-hexadecimal number in fromhex)");
    }
    block = &hex;
  }
  if (block != nullptr) {
    if (ExifLoadRaises(*block)) ctx.Fail("PNG EXIF data does not start with a TIFF header (Pillow: not a TIFF file)");
    const int o = ExifOrientation(*block);
    if (o != 1) return o;
  }
  return XmpOrientation(xmp);
}

void PngChunkWalk::Refuse(const std::string& reason) const { ctx_.Fail(reason); }

size_t PngChunkWalk::ToImageData() {
  const auto bytes = ctx_.bytes();
  size_t at = 8;
  while (true) {
    const size_t left = bytes.size() - at;
    if (left < 8) Refuse("truncated PNG: the file ends inside a chunk header, before the image data (IDAT)");
    const uint8_t* head = bytes.data() + at;
    const uint32_t length = PngBigEndian32(head);
    const uint8_t* type = head + 4;
    if (!IsChunkType(type)) {
      Refuse("broken PNG file: chunk type " + std::to_string(type[0]) + "," + std::to_string(type[1]) + "," +
             std::to_string(type[2]) + "," + std::to_string(type[3]) + " is not four letters");
    }
    const std::string name = ChunkName(type);
    if (name == "IDAT" || name == "fdAT") {
      // chunk_fdAT checks its sequence number, then is chunk_IDAT for the bytes after it: the first frame
      // of an animation whose image data has no IDAT.
      if (name == "fdAT") ContinueWithFrameData(head + 8, length, left - 8);
      // chunk_IDAT: without an fcTL before it, the image data of an APNG is a default image that is not
      // part of the animation, and counts as one more frame.
      if (n_frames_.has_value() && !box_.has_value()) default_image_ = true;
      animated_ = static_cast<uint64_t>(n_frames_.value_or(1)) + (default_image_ ? 1 : 0) > 1;
      return at;
    }
    if (name == "IEND") Refuse("PNG file without image data: IEND comes before any IDAT (Pillow: cannot load this image)");
    if (left - 8 < length) {
      Refuse("truncated PNG: chunk " + name + " runs past the end of the file (Pillow: Truncated File Read)");
    }
    const uint8_t* data = head + 8;
    // The size is judged from each IHDR as it comes, before anything else is read.
    if (name == "IHDR" && length >= 8) ctx_.CheckSize(PngBigEndian32(data), PngBigEndian32(data + 4));
    Handle(name, data, length);
    if (left - 8 - length < 4) Refuse("broken PNG file: incomplete checksum in chunk " + name);
    const uLong crc = crc32(crc32(0L, type, 4), data, length);
    if (crc != PngBigEndian32(data + length)) Refuse("broken PNG file: bad checksum in chunk " + name);
    at += 12 + static_cast<size_t>(length);
  }
}

void PngChunkWalk::ContinueWithFrameData(const uint8_t* data, uint32_t length, size_t held) {
  if (length >= 4 && held < 4) {
    Refuse("truncated PNG: the file ends inside the sequence number of an fdAT chunk (Pillow: Truncated File Read)");
  }
  Handle("fdAT", data, length);
}

void PngChunkWalk::AfterImageData(size_t at) {
  const auto bytes = ctx_.bytes();
  while (true) {
    at += 4;  // the previous chunk's CRC, never checked here
    if (at >= bytes.size() || bytes.size() - at < 8) return;
    const uint8_t* head = bytes.data() + at;
    const uint32_t length = PngBigEndian32(head);
    if (!IsChunkType(head + 4)) return;
    const std::string name = ChunkName(head + 4);
    if (name == "IEND" || (name == "fcTL" && animated_)) return;
    if (bytes.size() - at - 8 < length) {
      Refuse("truncated PNG: chunk " + name +
             " after the image data runs past the end of the file (Pillow: Truncated File Read)");
    }
    Handle(name, head + 8, length);
    at += 8 + static_cast<size_t>(length);
  }
}

void PngChunkWalk::Handle(const std::string& name, const uint8_t* data, uint32_t length) {
  const auto too_short = [&](const char* what) {
    Refuse("PNG " + name + " chunk of " + std::to_string(length) + " bytes is too short (Pillow: " + what + ")");
  };
  if (name == "IHDR") {
    if (length < 13) too_short("Truncated IHDR chunk");
    width_ = PngBigEndian32(data);
    height_ = PngBigEndian32(data + 4);
    // _MODES: a pair it lacks leaves the previous mode; the compression method is not looked at.
    const int depth = data[8], colour = data[9];
    const bool known = (colour == 0 && (depth == 1 || depth == 2 || depth == 4 || depth == 8 || depth == 16)) ||
                       (colour == 3 && (depth == 1 || depth == 2 || depth == 4 || depth == 8)) ||
                       ((colour == 2 || colour == 4 || colour == 6) && (depth == 8 || depth == 16));
    if (known) {
      bit_depth_ = depth;
      color_type_ = colour;
    }
    if (data[12] != 0) interlaced_ = true;
    if (data[11] != 0) Refuse("PNG IHDR chunk: unknown filter method " + std::to_string(data[11]));
  } else if (name == "PLTE") {
    if (color_type_ == 3) palette_.emplace(data, data + length);
  } else if (name == "tRNS") {
    // Pillow reads one 16-bit value for grey modes ("1", "L", "I") and three for RGB.
    const bool grey = color_type_ == 0;
    const bool rgb = color_type_ == 2;
    if ((grey && length < 2) || (rgb && length < 6)) too_short("unpack requires more bytes");
  } else if (name == "gAMA") {
    if (length < 4) too_short("unpack requires 4 bytes");
  } else if (name == "cHRM") {
    if (length % 4 != 0) Refuse("PNG cHRM chunk of " + std::to_string(length) + " bytes is not a whole number of 4-byte values");
  } else if (name == "sRGB") {
    if (length < 1) too_short("Truncated sRGB chunk");
  } else if (name == "pHYs") {
    if (length < 9) too_short("Truncated pHYs chunk");
  } else if (name == "tEXt" || name == "zTXt" || name == "iTXt") {
    ReadTextChunk(ctx_, data - 4, data, length, ctx_.want_orientation(), meta_, text_memory_);
  } else if (name == "iCCP") {
    if (length == 0) too_short("index out of range");
    // Pillow takes the byte at the keyword's terminator as the method, so only a profile without a
    // terminator can name another method (its last byte), and that one is then inflated from byte 1.
    const size_t nul = std::string_view(reinterpret_cast<const char*>(data), length).find('\0');
    const uint8_t method = nul == std::string_view::npos ? data[length - 1] : 0;
    if (method != 0) Refuse("PNG iCCP chunk: unknown compression method " + std::to_string(method));
    const size_t from = nul == std::string_view::npos ? 1 : nul + 2;
    size_t produced = 0;
    if (from < length && InflateText(data + from, length - from, nullptr, produced) == Inflated::kTooLarge) {
      Refuse("PNG iCCP profile inflates to more than " + std::to_string(kMaxTextChunk) +
             " bytes (Pillow: Decompressed Data Too Large)");
    }
  } else if (name == "eXIf") {
    if (ctx_.want_orientation()) {
      static constexpr uint8_t kPrefix[] = {'E', 'x', 'i', 'f', 0, 0};
      meta_.has_exif = true;
      meta_.exif_is_text = false;
      meta_.exif.assign(kPrefix, kPrefix + 6);
      meta_.exif.insert(meta_.exif.end(), data, data + length);
    }
  } else if (name == "acTL") {
    if (length < 8) too_short("APNG contains truncated acTL chunk");
    if (n_frames_.has_value()) {
      n_frames_.reset();  // a second acTL: Pillow falls back to the default image
    } else {
      const uint32_t n = PngBigEndian32(data);
      if (n != 0 && n <= 0x80000000u) n_frames_ = n;
    }
  } else if (name == "fcTL") {
    if (length < 26) too_short("APNG contains truncated fcTL chunk");
    const int64_t seq = PngBigEndian32(data);
    if ((!seq_num_.has_value() && seq != 0) || (seq_num_.has_value() && *seq_num_ != seq - 1)) {
      Refuse("APNG contains frame sequence errors: fcTL sequence number " + std::to_string(seq));
    }
    seq_num_ = seq;
    const Box box{PngBigEndian32(data + 12), PngBigEndian32(data + 16), PngBigEndian32(data + 4),
                  PngBigEndian32(data + 8)};
    if (uint64_t{box.x} + box.width > width_ || uint64_t{box.y} + box.height > height_) {
      Refuse("APNG contains invalid frames: an fcTL frame reaches outside the image");
    }
    box_ = box;
  } else if (name == "fdAT") {
    if (length < 4) too_short("APNG contains truncated fDAT chunk");
    const int64_t seq = PngBigEndian32(data);
    if (!seq_num_.has_value() || *seq_num_ != seq - 1) {
      Refuse("APNG contains frame sequence errors: fdAT sequence number " + std::to_string(seq));
    }
    seq_num_ = seq;
  }
}

}  // namespace vit::image
