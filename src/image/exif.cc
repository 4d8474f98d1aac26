// Orientation from EXIF, read with bounds checks the way Pillow's ImageFileDirectory_v2 reads IFD0:
// entries are taken until the data runs out, the first value of the tag counts, and a bad block simply
// has no orientation.
#include "image/exif.h"

#include <cstring>
#include <optional>
#include <utility>

namespace vit::image {
namespace {

class Reader {
 public:
  Reader(std::span<const uint8_t> data, bool big_endian) : data_(data), big_(big_endian) {}
  bool Has(size_t offset, size_t n) const { return offset <= data_.size() && n <= data_.size() - offset; }
  uint32_t U16(size_t at) const {
    return big_ ? (uint32_t{data_[at]} << 8) | data_[at + 1] : (uint32_t{data_[at + 1]} << 8) | data_[at];
  }
  uint32_t U32(size_t at) const {
    return big_ ? (U16(at) << 16) | U16(at + 2) : (U16(at + 2) << 16) | U16(at);
  }

 private:
  std::span<const uint8_t> data_;
  bool big_;
};

// TIFF field types whose values are integers, with their sizes in bytes.
int IntegerTypeSize(uint32_t type) {
  switch (type) {
    case 1:  // BYTE
    case 6:  // SBYTE
      return 1;
    case 3:  // SHORT
    case 8:  // SSHORT
      return 2;
    case 4:  // LONG
    case 9:  // SLONG
      return 4;
    default:
      return 0;
  }
}

std::span<const uint8_t> WithoutExifPrefix(std::span<const uint8_t> exif) {
  static constexpr uint8_t kPrefix[] = {'E', 'x', 'i', 'f', 0, 0};
  if (exif.size() >= sizeof(kPrefix) && std::memcmp(exif.data(), kPrefix, sizeof(kPrefix)) == 0) {
    return exif.subspan(sizeof(kPrefix));
  }
  return exif;
}

// TiffImagePlugin.PREFIXES without BigTIFF: the byte order from the first two bytes, 42 in either.
bool ClassicTiffHeader(std::span<const uint8_t> exif) {
  if (exif.size() < 8) return false;
  const bool order = (exif[0] == 'M' && exif[1] == 'M') || (exif[0] == 'I' && exif[1] == 'I');
  const bool magic = (exif[2] == 0 && exif[3] == 42) || (exif[2] == 42 && exif[3] == 0);
  return order && magic;
}

}  // namespace

ExifLoad PillowExifLoad(std::span<const uint8_t> exif) {
  exif = WithoutExifPrefix(exif);
  if (exif.empty() || ClassicTiffHeader(exif)) return ExifLoad::kOk;
  // TiffImagePlugin._accept: the first four bytes among PREFIXES (BigTIFF's included).
  if (exif.size() < 4) return ExifLoad::kSyntaxError;
  const bool order = (exif[0] == 'M' && exif[1] == 'M') || (exif[0] == 'I' && exif[1] == 'I');
  const bool big = exif[0] == 'M';
  const bool magic = (exif[2] == 0 && exif[3] == 42) || (exif[2] == 42 && exif[3] == 0) ||
                     (big && exif[2] == 0 && exif[3] == 43) || (!big && exif[2] == 43 && exif[3] == 0);
  return order && magic ? ExifLoad::kStructError : ExifLoad::kSyntaxError;
}

bool PillowJpegDpiRaises(std::span<const uint8_t> exif) {
  exif = WithoutExifPrefix(exif);
  if (!ClassicTiffHeader(exif)) return false;
  const Reader r(exif, exif[0] == 'M');
  // Type -> bytes per value, as ImageFileDirectory_v2._load_dispatch (0: a type it skips).
  const auto unit = [](uint32_t type) -> uint64_t {
    static constexpr uint8_t kSizes[17] = {0, 1, 1, 2, 4, 8, 1, 1, 2, 4, 8, 4, 8, 4, 0, 0, 8};
    return type < 17 ? kSizes[type] : 0;
  };
  struct Value {
    uint32_t type = 0;
    std::span<const uint8_t> data;
  };
  std::optional<Value> unit_tag, x_resolution;
  const size_t ifd = r.U32(4);
  if (r.Has(ifd, 2)) {
    const uint32_t entries = r.U16(ifd);
    for (uint32_t i = 0; i < entries; ++i) {
      const size_t at = ifd + 2 + static_cast<size_t>(i) * 12;
      if (!r.Has(at, 12)) break;  // _ensure_read raises OSError: the load stops, what it read stays
      const uint32_t tag = r.U16(at), type = r.U16(at + 2);
      const uint64_t size = unit(type) * r.U32(at + 4);
      if (unit(type) == 0 || size == 0) continue;
      size_t value_at = at + 8;
      if (size > 4) {
        value_at = r.U32(at + 8);
        if (!r.Has(value_at, static_cast<size_t>(size))) break;  // _safe_read raises OSError
      }
      const Value v{type, exif.subspan(value_at, static_cast<size_t>(size))};
      if (tag == 0x0128) unit_tag = v;
      if (tag == 0x011A) x_resolution = v;
    }
  }
  if (!unit_tag.has_value() || !x_resolution.has_value()) return false;  // KeyError, caught
  const Value& x = *x_resolution;
  if (x.type == 1 || x.type == 7) return x.data.size() == 1;  // bytes: x[1] raises IndexError
  if (x.type != 2) return false;  // numbers and rationals: x[0] raises TypeError, caught
  size_t length = x.data.size();
  if (x.data[length - 1] == 0) --length;  // load_string drops one trailing NUL
  return length == 0 || (length == 1 && x.data[0] >= '0' && x.data[0] <= '9');
}

bool FromHex(std::string_view text, std::vector<uint8_t>& out) {
  const auto space = [](char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f'; };
  const auto digit = [](char c) {
    return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
  };
  out.clear();
  size_t at = 0;
  while (true) {
    while (at < text.size() && space(text[at])) ++at;
    if (at == text.size()) return true;
    if (at + 1 >= text.size()) return false;
    const int high = digit(text[at]), low = digit(text[at + 1]);
    if (high < 0 || low < 0) return false;
    out.push_back(static_cast<uint8_t>(high * 16 + low));
    at += 2;
  }
}

int ExifOrientation(std::span<const uint8_t> exif) {
  exif = WithoutExifPrefix(exif);
  if (!ClassicTiffHeader(exif)) return 1;
  const Reader r(exif, exif[0] == 'M');
  const size_t ifd = r.U32(4);
  if (!r.Has(ifd, 2)) return 1;
  const uint32_t entries = r.U16(ifd);
  for (uint32_t i = 0; i < entries; ++i) {
    const size_t at = ifd + 2 + static_cast<size_t>(i) * 12;
    if (!r.Has(at, 12)) return 1;
    if (r.U16(at) != 0x0112) continue;
    const uint32_t type = r.U16(at + 2);
    const uint32_t count = r.U32(at + 4);
    const int size = IntegerTypeSize(type);
    if (size == 0 || count == 0) return 1;
    size_t value_at = at + 8;
    if (static_cast<uint64_t>(size) * count > 4) {
      value_at = r.U32(at + 8);
      if (!r.Has(value_at, static_cast<size_t>(size))) return 1;
    }
    int64_t value;
    if (size == 1) {
      value = type == 6 ? static_cast<int8_t>(exif[value_at]) : exif[value_at];
    } else if (size == 2) {
      value = type == 8 ? static_cast<int16_t>(r.U16(value_at)) : r.U16(value_at);
    } else {
      value = type == 9 ? static_cast<int32_t>(r.U32(value_at)) : r.U32(value_at);
    }
    return value >= 1 && value <= 8 ? static_cast<int>(value) : 1;
  }
  return 1;
}

int XmpOrientation(std::string_view xmp) {
  // re.search(r'tiff:Orientation(="|>)([0-9])')
  static constexpr std::string_view kTag = "tiff:Orientation";
  for (size_t at = xmp.find(kTag); at != std::string_view::npos; at = xmp.find(kTag, at + 1)) {
    const size_t p = at + kTag.size();
    size_t digit;
    if (xmp.substr(p, 2) == "=\"") {
      digit = p + 2;
    } else if (xmp.substr(p, 1) == ">") {
      digit = p + 1;
    } else {
      continue;
    }
    if (digit < xmp.size() && xmp[digit] >= '0' && xmp[digit] <= '9') {
      const int value = xmp[digit] - '0';
      return value >= 1 && value <= 8 ? value : 1;
    }
  }
  return 1;
}

Image ApplyOrientation(Image image, int orientation) {
  if (orientation < 2 || orientation > 8) return image;
  const int w = image.width, h = image.height;
  const bool swaps = orientation >= 5;
  Image out;
  out.width = swaps ? h : w;
  out.height = swaps ? w : h;
  out.rgb.resize(image.rgb.size());
  // For each output pixel (r, c), the source pixel (sr, sc), as Pillow's Image.Transpose methods.
  for (int r = 0; r < out.height; ++r) {
    for (int c = 0; c < out.width; ++c) {
      int sr = r, sc = c;
      switch (orientation) {
        case 2:  // FLIP_LEFT_RIGHT
          sc = w - 1 - c;
          break;
        case 3:  // ROTATE_180
          sr = h - 1 - r;
          sc = w - 1 - c;
          break;
        case 4:  // FLIP_TOP_BOTTOM
          sr = h - 1 - r;
          break;
        case 5:  // TRANSPOSE
          sr = c;
          sc = r;
          break;
        case 6:  // ROTATE_270 (clockwise quarter turn)
          sr = h - 1 - c;
          sc = r;
          break;
        case 7:  // TRANSVERSE
          sr = h - 1 - c;
          sc = w - 1 - r;
          break;
        case 8:  // ROTATE_90 (counter-clockwise quarter turn)
          sr = c;
          sc = w - 1 - r;
          break;
      }
      const uint8_t* s = &image.rgb[(static_cast<size_t>(sr) * static_cast<size_t>(w) + static_cast<size_t>(sc)) * 3];
      uint8_t* d = &out.rgb[(static_cast<size_t>(r) * static_cast<size_t>(out.width) + static_cast<size_t>(c)) * 3];
      d[0] = s[0];
      d[1] = s[1];
      d[2] = s[2];
    }
  }
  return out;
}

}  // namespace vit::image
