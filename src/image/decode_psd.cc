// PSD by hand, following Pillow 9.4's PsdImagePlugin: the merged (composite) image that Image.open
// returns, 8-bit grey, duotone, multichannel, indexed, RGB(A), CMYK and Lab or 1-bit bitmap, raw or
// PackBits, then convert("RGB").
//
// Pillow parses the whole header first, layers included, and any error there refuses the file even though
// the layers are never decoded: so the layer records are walked as PsdImagePlugin walks them (a record with
// more than four channels skipped without reading the rest of it, a layer whose channels are not R, RGB
// or RGBA refused, each layer channel's compression and row counts read). The composite's channels are
// then decoded each from its own offset, a PackBits channel reading on past its own bytes when they are
// short (Pillow only sums the row counts to find where each channel starts).
#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "image/decoders.h"
#include "image/pil_convert.h"

namespace vit::image {
namespace {

// A read position over a byte buffer that behaves as Python's file objects: a read past the end returns
// fewer bytes, a seek may go past the end.
class Cursor {
 public:
  explicit Cursor(std::span<const uint8_t> bytes) : bytes_(bytes) {}
  size_t pos() const { return pos_; }
  void Seek(size_t pos) { pos_ = pos; }
  size_t Available() const { return pos_ < bytes_.size() ? bytes_.size() - pos_ : 0; }
  // Reads up to n bytes, as file.read(n).
  std::span<const uint8_t> Read(size_t n) {
    const size_t got = std::min(n, Available());
    const auto out = bytes_.subspan(std::min(pos_, bytes_.size()), got);
    pos_ += got;
    return out;
  }

 private:
  std::span<const uint8_t> bytes_;
  size_t pos_ = 0;
};

uint32_t Be16(std::span<const uint8_t> p, size_t at = 0) { return (uint32_t{p[at]} << 8) | p[at + 1]; }
uint32_t Be32(std::span<const uint8_t> p) { return (Be16(p) << 16) | Be16(p, 2); }

struct Mode {
  const char* name;  // Pillow's mode
  size_t channels;   // channels Pillow decodes
  int bits;
};

// Pillow 9.4's table (Photoshop mode, bits) -> (mode, channels).
bool LookUpMode(uint32_t psd_mode, uint32_t bits, Mode& mode) {
  if (psd_mode == 0 && bits == 1) {
    mode = {"1", 1, 1};
    return true;
  }
  if (bits != 8) return false;
  switch (psd_mode) {
    case 0:  // bitmap stored at 8 bits
    case 1:  // greyscale
    case 7:  // multichannel
    case 8:  // duotone
      mode = {"L", 1, 8};
      return true;
    case 2:
      mode = {"P", 1, 8};
      return true;
    case 3:
      mode = {"RGB", 3, 8};
      return true;
    case 4:
      mode = {"CMYK", 4, 8};
      return true;
    case 9:  // Lab: each channel's bytes go to a band as they are (a and b are stored offset by 128)
      mode = {"LAB", 3, 8};
      return true;
    default:
      return false;
  }
}

class PsdReader {
 public:
  explicit PsdReader(const DecodeContext& ctx) : ctx_(ctx) {}

  [[noreturn]] void Bad(const std::string& what) const { ctx_.Fail("bad PSD: " + what); }

  // Pillow's i16/i32/i8 on what file.read returned: fewer bytes than the field is an error.
  uint32_t Field(Cursor& c, size_t n, const char* what) const {
    const auto b = c.Read(n);
    if (b.size() < n) Bad(std::string("the file ends inside ") + what);
    return n == 1 ? b[0] : n == 2 ? Be16(b) : Be32(b);
  }

  void ImageResources(Cursor& c) const {
    const uint32_t size = Field(c, 4, "the image resources' length");
    if (size == 0) return;
    const size_t end = c.pos() + size;
    // Each resource is read in turn until the position reaches the section's end, wherever that leaves it.
    while (c.pos() < end) {
      c.Read(4);  // signature
      Field(c, 2, "an image resource's id");
      const size_t name = c.Read(Field(c, 1, "an image resource's name")).size();
      if ((name & 1) == 0) c.Read(1);
      const size_t data = c.Read(Field(c, 4, "an image resource's length")).size();
      if ((data & 1) != 0) c.Read(1);
    }
  }

  // The layer records, walked as PsdImagePlugin's _layerinfo walks them, for the errors it raises.
  void LayerInfo(std::span<const uint8_t> info) const {
    Cursor c(info);
    // ImageFile._safe_read: every field read here must be complete.
    auto safe = [&](size_t n, const char* what) -> std::span<const uint8_t> {
      const auto b = c.Read(n);
      if (b.size() < n) Bad(std::string("the layer information ends inside ") + what);
      return b;
    };
    const auto count_field = safe(2, "the layer count");
    const int count = std::abs(static_cast<int16_t>(Be16(count_field)));
    if (info.size() < static_cast<size_t>(count) * 20) Bad("the layer block is too short for its layer count");
    struct Layer {
      std::string mode;
      int64_t width, height;
    };
    std::vector<Layer> layers;
    for (int i = 0; i < count; ++i) {
      const auto box = safe(16, "a layer's bounding box");
      const int64_t top = Be32(box), left = Be32(box.subspan(4)), bottom = Be32(box.subspan(8)),
                    right = Be32(box.subspan(12));
      const uint32_t channels = Be16(safe(2, "a layer's channel count"));
      if (channels > 4) continue;  // Pillow skips the rest of such a record without reading it
      std::string letters;
      for (uint32_t k = 0; k < channels; ++k) {
        const uint32_t type = Be16(safe(2, "a layer channel's id"));
        if (type != 65535 && type > 3) Bad("layer channel id " + std::to_string(type) + " is not R, G, B or A");
        letters += type == 65535 ? 'A' : "RGBA"[type];
        safe(4, "a layer channel's length");
      }
      std::sort(letters.begin(), letters.end());
      std::string mode;
      if (letters == "R") mode = "L";
      if (letters == "BGR") mode = "RGB";
      if (letters == "ABGR") mode = "RGBA";
      safe(12, "a layer's blend fields");
      const uint32_t extra = Be32(safe(4, "a layer's extra data length"));
      if (extra != 0) {
        const size_t data_end = c.pos() + extra;
        const uint32_t mask = Be32(safe(4, "a layer mask's length"));
        // BytesIO clamps a relative seek before the start to 0.
        if (mask != 0) c.Seek(static_cast<size_t>(std::max<int64_t>(0, static_cast<int64_t>(c.pos()) + mask - 16)));
        const uint32_t ranges = Be32(safe(4, "a layer's blending ranges length"));
        if (ranges != 0) c.Seek(c.pos() + ranges);
        const uint32_t name = safe(1, "a layer's name length")[0];
        if (name != 0) safe(name, "a layer's name");
        c.Seek(data_end);
      }
      if (mode.empty()) Bad("a layer has channels " + letters + ", which Pillow 9.4 has no mode for");
      layers.push_back({mode, right - left, bottom - top});
    }
    for (const Layer& layer : layers) {
      for (size_t k = 0; k < layer.mode.size(); ++k) {
        const auto compression = c.Read(2);
        if (compression.size() < 2) Bad("the layer information ends inside a layer channel's compression");
        __int128 offset = c.pos();
        if (Be16(compression) == 0) {
          offset += static_cast<__int128>(layer.width) * layer.height;
        } else if (Be16(compression) == 1) {
          // file.read with a negative count reads everything that is left.
          const auto counts = layer.height < 0 ? c.Read(info.size()) : c.Read(static_cast<size_t>(layer.height) * 2);
          offset = c.pos();
          if (layer.height > 0 && counts.size() / 2 < static_cast<uint64_t>(layer.height)) {
            Bad("the layer information ends inside a layer channel's row lengths");
          }
          for (int64_t y = 0; y < layer.height; ++y) offset += Be16(counts, static_cast<size_t>(y) * 2);
        }
        if (offset < 0 || offset > static_cast<__int128>(INT64_MAX)) {
          Bad("a layer channel's data lies outside the file");  // BytesIO.seek raises
        }
        c.Seek(static_cast<size_t>(offset));
        if ((offset & 1) != 0) c.Read(1);
      }
    }
  }

  void Layers(Cursor& c) const {
    const uint32_t size = Field(c, 4, "the layer and mask section's length");
    if (size == 0) return;
    const size_t end = c.pos() + size;
    const uint32_t info_size = Field(c, 4, "the layer information's length");
    if (info_size != 0) {
      const auto info = c.Read(info_size);
      if (info.size() < info_size) Bad("the file ends inside the layer information");
      LayerInfo(info);
    }
    c.Seek(end);
  }

 private:
  const DecodeContext& ctx_;
};

// PackBitsDecode.c: rows of `row_bytes` from `at` on; the part of a run or a literal that passes the end
// of a row is dropped. Returns false when the data ends before the last row.
bool UnpackBits(std::span<const uint8_t> bytes, size_t at, size_t row_bytes, size_t rows, std::vector<uint8_t>& out) {
  out.assign(row_bytes * rows, 0);
  size_t x = 0, y = 0;
  uint8_t* row = out.data();
  while (y < rows) {
    if (at >= bytes.size()) return false;
    const uint8_t n = bytes[at];
    if (n == 0x80) {
      ++at;
      continue;
    }
    if ((n & 0x80) != 0) {
      if (bytes.size() - at < 2) return false;
      for (size_t k = 257 - n; k > 0 && x < row_bytes; --k) row[x++] = bytes[at + 1];
      at += 2;
    } else {
      const size_t len = size_t{n} + 1;
      if (bytes.size() - at < len + 1) return false;
      for (size_t k = 0; k < len && x < row_bytes; ++k) row[x++] = bytes[at + 1 + k];
      at += len + 1;
    }
    if (x >= row_bytes) {
      x = 0;
      ++y;
      row += row_bytes;
    }
  }
  return true;
}

}  // namespace

Decoded DecodePsd(const DecodeContext& ctx) {
  const auto bytes = ctx.bytes();
  PsdReader reader(ctx);
  Cursor c(bytes);
  const auto header = c.Read(26);
  if (header.size() < 26 || std::memcmp(header.data(), "8BPS", 4) != 0 || Be16(header, 4) != 1) {
    ctx.Fail(header.size() >= 6 && Be16(header, 4) == 2 ? "PSB (large document) images are not supported by Pillow 9.4"
                                                        : "not a PSD file (a version 1 header of 26 bytes)",
             header.size() >= 6 && Be16(header, 4) == 2 ? ErrorKind::kUnsupported : ErrorKind::kInvalidInput);
  }
  const uint32_t psd_channels = Be16(header, 12), bits = Be16(header, 22), psd_mode = Be16(header, 24);
  const int64_t height = Be32(header.subspan(14)), width = Be32(header.subspan(18));
  Mode mode;
  if (!LookUpMode(psd_mode, bits, mode)) {
    ctx.Fail("unsupported PSD colour mode " + std::to_string(psd_mode) + " at " + std::to_string(bits) +
                 " bits (Pillow 9.4 reads 8-bit grey, duotone, multichannel, indexed, RGB, CMYK, Lab and 1-bit bitmap)",
             ErrorKind::kUnsupported);
  }
  if (mode.channels > psd_channels) {
    ctx.Fail("PSD has " + std::to_string(psd_channels) + " channels, mode " + mode.name + " needs " +
             std::to_string(mode.channels));
  }
  // Four channels make RGB "RGBA" (the alpha decoded, then dropped); a fifth and more are ignored.
  if (std::strcmp(mode.name, "RGB") == 0 && psd_channels == 4) mode.channels = 4;
  ctx.CheckSize(width, height);  // from the header, before anything is read or allocated

  Palette palette;
  const uint32_t color_data = reader.Field(c, 4, "the colour mode data's length");
  const auto colors = c.Read(color_data);
  if (std::strcmp(mode.name, "P") == 0 && color_data == 768 && colors.size() == 768) {
    for (int i = 0; i < 256; ++i) palette.Set(i, colors[static_cast<size_t>(i)], colors[256 + static_cast<size_t>(i)],
                                              colors[512 + static_cast<size_t>(i)]);
  }
  reader.ImageResources(c);
  reader.Layers(c);

  const uint32_t compression = reader.Field(c, 2, "the image data's compression");
  if (compression != 0 && compression != 1) {
    ctx.Fail("unsupported PSD compression " + std::to_string(compression) +
                 " for the merged image (Pillow 9.4 reads raw and PackBits)",
             ErrorKind::kUnsupported);
  }
  const auto w = static_cast<size_t>(width), h = static_cast<size_t>(height);
  const size_t row_bytes = mode.bits == 1 ? (w + 7) / 8 : w;
  std::vector<size_t> offsets(mode.channels);
  if (compression == 0) {
    // Pillow steps from one channel to the next by width x height bytes, whatever the depth.
    for (size_t k = 0; k < mode.channels; ++k) offsets[k] = c.pos() + k * w * h;
  } else {
    if (c.Available() / 2 / mode.channels < h) ctx.Fail("truncated PSD: the file ends inside the PackBits row lengths");
    const auto counts = c.Read(mode.channels * h * 2);
    size_t offset = c.pos();
    for (size_t k = 0; k < mode.channels; ++k) {
      offsets[k] = offset;
      for (size_t y = 0; y < h; ++y) offset += Be16(counts, (k * h + y) * 2);
    }
  }

  std::vector<std::vector<uint8_t>> planes(mode.channels);
  for (size_t k = 0; k < mode.channels; ++k) {
    if (compression == 0) {
      if (offsets[k] > bytes.size() || (bytes.size() - offsets[k]) / row_bytes < h) {
        ctx.Fail("truncated PSD: channel " + std::to_string(k) + " of the merged image is cut short");
      }
      planes[k].assign(bytes.begin() + static_cast<ptrdiff_t>(offsets[k]),
                       bytes.begin() + static_cast<ptrdiff_t>(offsets[k] + row_bytes * h));
    } else if (!UnpackBits(bytes, offsets[k], row_bytes, h, planes[k])) {
      ctx.Fail("truncated PSD: the PackBits data of channel " + std::to_string(k) + " ends before its last row");
    }
  }

  Decoded decoded;
  decoded.image = AllocateImage(ctx, width, height);
  uint8_t* out = decoded.image.rgb.data();
  const std::string name = mode.name;
  if (name == "LAB") {
    std::vector<uint8_t> lab(w * h * 4);
    for (size_t i = 0; i < w * h; ++i) {
      for (size_t k = 0; k < 3; ++k) lab[4 * i + k] = planes[k][i];
    }
    if (!LabToRgb(lab.data(), w, h, out)) {
      ctx.Fail("LittleCMS could not build the Lab to sRGB transform", ErrorKind::kInternal);
    }
    return decoded;
  }
  std::vector<uint8_t> row(w * 4);
  for (size_t y = 0; y < h; ++y, out += w * 3) {
    const uint8_t* p0 = planes[0].data() + y * row_bytes;
    if (name == "1") {
      for (size_t x = 0; x < w; ++x) row[x] = (p0[x / 8] >> (7 - x % 8)) & 1 ? 255 : 0;
      GrayRowToRgb(row.data(), w, out);
    } else if (name == "L") {
      GrayRowToRgb(p0, w, out);
    } else if (name == "P") {
      PaletteRowToRgb(p0, w, palette, out);
    } else if (name == "RGB") {
      for (size_t x = 0; x < w; ++x) {
        for (size_t k = 0; k < 3; ++k) out[3 * x + k] = planes[k][y * w + x];
      }
    } else {  // CMYK, read inverted as Pillow's "C;I" raw modes do
      for (size_t x = 0; x < w; ++x) {
        for (size_t k = 0; k < 4; ++k) row[4 * x + k] = planes[k][y * w + x];
      }
      InvertedCmykRowToRgb(row.data(), w, out);
    }
  }
  return decoded;
}

}  // namespace vit::image
