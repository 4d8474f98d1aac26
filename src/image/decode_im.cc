// IM (IFUNC Image Memory) by hand, following Pillow 9.4's ImImagePlugin: the first frame.
//
// IM has no signature: Pillow tries its header on every file that reaches it. The header is lines of
// "Key: value" (at most 100 bytes each, a key starting with a letter) up to a NUL or 0x1A at the start
// of a line; at least one must be a key Pillow knows, a 0x1A must follow, and with a "Lut" key the 768
// bytes after it must be there. A file failing any of that is not IM to Pillow (LooksLikeIm false).
// Size, frame count and scale values must be Python numbers, or Pillow raises.
//
// Rows are stored bottom to top. A Lut (three planes of 256) that is not grey turns L and P images into
// palette images (8 bits a pixel, whatever the type said) and LA into PA; a grey one changes nothing.
// Multi-band types store each row band after band ("RGB;L"); RGB3/RYB3 store whole planes, green, red,
// then blue. 16- and 32-bit grey (modes I;16, I and F) reach RGB clipped to 0..255, floats truncated;
// "L*<n>" types of other widths are bit-packed (BitPackedRows). YCC is YCbCr, band after band, to RGB
// as ConvertYCbCr.c does.
#include <algorithm>
#include <cmath>
#include <cstring>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "image/decoders.h"
#include "image/pil_convert.h"

namespace vit::image {
namespace {

// How a type's samples are laid out and reach RGB.
enum class Layout {
  kBilevel,      // "1": 1 bit, a set bit white
  kGray,         // "L"
  kPalette2,     // "P;2"
  kPalette4,     // "P;4"
  kPalette,      // "P"
  kRgbPlanes,    // "RGB;T": planes of green, red, blue
  kRgb,          // "RGB"
  kBands,        // "<mode>;L": `bands` rows per row, band after band
  kGray16Le,     // I;16, I;16L, F;16
  kGray16Be,     // I;16B
  kSigned8,      // F;8S
  kSigned16Le,   // F;16S
  kSigned32Le,   // I;32, I;32S (an I image holds the same bits either way)
  kUnsigned32Le,  // F;32
  kFloat32Le,    // F;32F
  kBitPacked,    // F;<n>: BitDecode.c's little-endian bit stream, rows padded to bytes
  kRefused,      // a raw mode Pillow has no unpacker for
};

enum class BandsTo { kGray, kPaletteAlpha, kRgb, kCmyk, kYcbcr };

struct Type {
  std::string_view name;
  Layout layout;
  int bands = 1;
  BandsTo to = BandsTo::kGray;
  bool gray_mode = false;  // L or LA: a colour Lut makes it P or PA
  bool palette_mode = false;  // P or PA (a colour Lut applies)
  int bits = 0;               // kBitPacked's bits a sample
};

// ImImagePlugin.OPEN, with the modes its loops add.
std::optional<Type> FindType(std::string_view v) {
  static const Type kTypes[] = {
      {"0 1 image", Layout::kBilevel},
      {"L 1 image", Layout::kBilevel},
      {"B1 image", Layout::kBilevel},
      {"Greyscale image", Layout::kGray, 1, BandsTo::kGray, true},
      {"Grayscale image", Layout::kGray, 1, BandsTo::kGray, true},
      {"RGB image", Layout::kBands, 3, BandsTo::kRgb},
      {"RLB image", Layout::kRefused},
      {"RYB image", Layout::kRefused},
      {"B2 image", Layout::kPalette2, 1, BandsTo::kGray, false, true},
      {"B4 image", Layout::kPalette4, 1, BandsTo::kGray, false, true},
      {"X 24 image", Layout::kRgb},
      {"L 32 S image", Layout::kSigned32Le},
      {"L 32 F image", Layout::kFloat32Le},
      {"RGB3 image", Layout::kRgbPlanes},
      {"RYB3 image", Layout::kRgbPlanes},
      {"LA image", Layout::kBands, 2, BandsTo::kGray, true},
      {"PA image", Layout::kRefused, 2, BandsTo::kGray, true},  // "PA;L" into LA: only with a colour Lut
      {"RGBA image", Layout::kBands, 4, BandsTo::kRgb},
      {"RGBX image", Layout::kBands, 4, BandsTo::kRgb},
      {"CMYK image", Layout::kBands, 4, BandsTo::kCmyk},
      {"YCC image", Layout::kBands, 3, BandsTo::kYcbcr},
  };
  for (const Type& t : kTypes) {
    if (t.name == v) return t;
  }
  // "L <n> image" and "L*<n> image".
  if (v.size() < 9 || v[0] != 'L' || (v[1] != ' ' && v[1] != '*') || v.substr(v.size() - 6) != " image") {
    return std::nullopt;
  }
  const std::string_view n = v.substr(2, v.size() - 8);
  const bool star = v[1] == '*';
  if (n == "8") return Type{v, Layout::kGray};
  if (n == "8S") return Type{v, Layout::kSigned8};
  if (n == "16") return Type{v, Layout::kGray16Le};  // I;16, or F;16 for "L*16": the same values
  if (n == "16S") return Type{v, Layout::kSigned16Le};
  if (n == "16L") return Type{v, Layout::kGray16Le};
  if (n == "16B") return Type{v, Layout::kGray16Be};
  if (n == "32") return Type{v, Layout::kUnsigned32Le};
  if (n == "32S") return Type{v, Layout::kSigned32Le};
  if (n == "32F") return Type{v, Layout::kFloat32Le};
  if (star && n.size() <= 2 && std::all_of(n.begin(), n.end(), [](char c) { return c >= '0' && c <= '9'; }) &&
      n[0] != '0') {
    const int bits = n.size() == 1 ? n[0] - '0' : (n[0] - '0') * 10 + (n[1] - '0');
    if (bits >= 2 && bits <= 32) return Type{v, Layout::kBitPacked, 1, BandsTo::kGray, false, false, bits};
  }
  return std::nullopt;
}

// Python's int(s) or, failing that, float(s), for the number() of a size value.
struct Number {
  double value = 0;
  bool is_int = false;
};

// str.strip()'s whitespace among the latin-1 characters a header decodes to.
bool IsPySpace(char c) {
  const auto u = static_cast<uint8_t>(c);
  return u == ' ' || (u >= '\t' && u <= '\r') || (u >= 0x1C && u <= 0x1F) || u == 0x85 || u == 0xA0;
}

// Digits with single underscores between them; false when there are none or an underscore is misplaced.
bool Digits(std::string_view s, size_t& at, double& value) {
  const size_t start = at;
  bool last_digit = false;
  while (at < s.size()) {
    if (s[at] >= '0' && s[at] <= '9') {
      value = value * 10 + (s[at] - '0');
      last_digit = true;
    } else if (s[at] == '_' && last_digit && at + 1 < s.size() && s[at + 1] >= '0' && s[at + 1] <= '9') {
      last_digit = false;
    } else {
      break;
    }
    ++at;
  }
  return at > start;
}

std::optional<Number> ParseNumber(std::string_view s) {
  while (!s.empty() && IsPySpace(s.front())) s.remove_prefix(1);
  while (!s.empty() && IsPySpace(s.back())) s.remove_suffix(1);
  size_t at = 0;
  double sign = 1;
  if (at < s.size() && (s[at] == '+' || s[at] == '-')) sign = s[at++] == '-' ? -1 : 1;
  std::string lower;
  for (const char c : s.substr(at)) lower += static_cast<char>(c >= 'A' && c <= 'Z' ? c + 32 : c);
  if (lower == "inf" || lower == "infinity") return Number{sign * HUGE_VAL, false};
  if (lower == "nan") return Number{NAN, false};
  double value = 0;
  const bool int_part = Digits(s, at, value);
  if (int_part && at == s.size()) return Number{sign * value, true};
  bool fraction = false;
  if (at < s.size() && s[at] == '.') {
    ++at;
    double f = 0;
    const size_t start = at;
    fraction = Digits(s, at, f);
    if (fraction) value += f / std::pow(10.0, static_cast<double>(at - start));
  }
  if (!int_part && !fraction) return std::nullopt;
  if (at < s.size() && (s[at] == 'e' || s[at] == 'E')) {
    ++at;
    double esign = 1;
    if (at < s.size() && (s[at] == '+' || s[at] == '-')) esign = s[at++] == '-' ? -1 : 1;
    double e = 0;
    if (!Digits(s, at, e)) return std::nullopt;
    value *= std::pow(10.0, esign * e);
  }
  if (at != s.size()) return std::nullopt;
  return Number{sign * value, false};
}

struct Header {
  std::optional<Type> type;       // known when the last "Image type" was one of OPEN's
  std::string mode_text = "L";    // the last "Image type" value
  std::vector<Number> size;       // "Image size (x*y)"; 512*512 when absent
  bool has_lut = false;
  size_t data_at = 0;             // after the 0x1A, and the Lut when there is one
  std::string refusal;            // a value Pillow's number() raises on
};

constexpr std::string_view kTags[] = {"Comment",   "Date",  "Digitalization equipment", "File size (no of images)",
                                      "Lut",       "Name",  "Scale (x,y)",              "Image size (x*y)",
                                      "Image type"};

// ImImageFile._open (and the checks ImageFile.__init__ makes after it): the header when the file is IM
// to Pillow, nullopt when Pillow would go on to the next format.
std::optional<Header> ParseHeader(std::span<const uint8_t> bytes) {
  const auto text = [&](size_t at, size_t n) { return std::string_view(reinterpret_cast<const char*>(&bytes[at]), n); };
  if (bytes.empty() || text(0, std::min<size_t>(100, bytes.size())).find('\n') == std::string_view::npos) {
    return std::nullopt;
  }
  Header h;
  h.size = {{512, true}, {512, true}};
  h.type = FindType("Greyscale image");  // Pillow's default mode, L
  bool typed = true;
  int known = 0;
  size_t at = 0;
  uint8_t last = 0;  // the byte that ended the header, 0 at the end of the file
  bool ended = false;
  while (at < bytes.size()) {
    const uint8_t c = bytes[at++];
    if (c == '\r') continue;
    if (c == 0 || c == 0x1A) {
      last = c;
      ended = true;
      break;
    }
    const size_t start = at - 1;
    while (at < bytes.size() && bytes[at++] != '\n') {
    }
    std::string_view line = text(start, at - start);
    if (line.size() > 100) return std::nullopt;
    if (line.size() >= 2 && line.substr(line.size() - 2) == "\r\n") {
      line.remove_suffix(2);
    } else if (!line.empty() && line.back() == '\n') {
      line.remove_suffix(1);
    }
    // ^([A-Za-z][^:]*):[ \t]*(.*)[ \t]*$
    if (line.empty()) return std::nullopt;
    const char first = line[0];
    const size_t colon = line.find(':');
    if (!((first >= 'A' && first <= 'Z') || (first >= 'a' && first <= 'z')) || colon == std::string_view::npos) {
      return std::nullopt;
    }
    const std::string_view key = line.substr(0, colon);
    std::string_view value = line.substr(colon + 1);
    while (!value.empty() && (value.front() == ' ' || value.front() == '\t')) value.remove_prefix(1);
    if (h.refusal.empty() &&
        (key == "File size (no of images)" || key == "Scale (x,y)" || key == "Image size (x*y)")) {
      std::vector<Number> numbers;
      size_t from = 0;
      for (;;) {
        const size_t sep = value.find_first_of("*,", from);
        const std::string_view part = value.substr(from, sep == std::string_view::npos ? value.npos : sep - from);
        const std::optional<Number> number = ParseNumber(part);
        if (!number.has_value()) {
          h.refusal = "IM header value \"" + PrintableText(value) + "\" of \"" + PrintableText(key) + "\" is not a number";
          break;
        }
        numbers.push_back(*number);
        if (sep == std::string_view::npos) break;
        from = sep + 1;
      }
      if (key == "Image size (x*y)") h.size = numbers;
    } else if (key == "Image type") {
      h.mode_text = std::string(value);
      const std::optional<Type> type = FindType(value);
      if (type.has_value()) h.type = type;
      typed = type.has_value();
    }
    if (key == "Lut") h.has_lut = true;
    if (std::find(std::begin(kTags), std::end(kTags), key) != std::end(kTags)) ++known;
    // Pillow raises on the first value number() rejects: nothing after it matters.
    if (!h.refusal.empty()) return h;
  }
  if (known == 0) return std::nullopt;
  if (!typed) h.type.reset();
  if (!ended) return std::nullopt;  // File truncated
  if (last == 0) {
    while (at < bytes.size() && bytes[at] != 0x1A) ++at;
    if (at >= bytes.size()) return std::nullopt;
    ++at;
  }
  if (h.has_lut) {
    if (bytes.size() - at < 768) return std::nullopt;
    at += 768;
  }
  h.data_at = at;
  // ImageFile.__init__: a mode, and a size whose first two values are over 0 (a single number is not
  // subscriptable: TypeError, and Pillow goes on too).
  if (h.mode_text.empty() || h.size.size() < 2 || h.size[0].value <= 0 || h.size[1].value <= 0) return std::nullopt;
  return h;
}

// BitDecode.c with IM's settings (pad 8, fill 3, unsigned, bottom row first): samples taken from the low
// bits of a buffer that each byte fills from above. A new row drops the count of buffered bits but not
// the bits themselves, which the next bytes are OR'ed onto, as Pillow does; its 64-bit buffer is
// reloaded from the last byte when over 32 bits are buffered. Values over 255 clip to 255 (F to L).
void BitPackedRows(const uint8_t* data, size_t w, size_t rows, int bits, uint8_t* rgb) {
  const uint64_t mask = (uint64_t{1} << bits) - 1;
  uint64_t buffer = 0;
  int count = 0;
  size_t x = 0, y = rows - 1;
  for (size_t at = 0;; ++at) {
    const uint8_t byte = data[at];
    buffer |= uint64_t{byte} << count;
    count += 8;
    while (count >= bits) {
      const uint64_t v = buffer & mask;
      if (count > 32) {
        buffer = byte >> (8 - (count - bits));
      } else {
        buffer >>= bits;
      }
      count -= bits;
      uint8_t* out = rgb + (y * w + x) * 3;
      out[0] = out[1] = out[2] = static_cast<uint8_t>(std::min<uint64_t>(v, 255));
      if (++x >= w) {
        if (y-- == 0) return;
        x = 0;
        count = 0;
      }
    }
  }
}

}  // namespace

bool LooksLikeIm(std::span<const uint8_t> bytes) { return ParseHeader(bytes).has_value(); }

Decoded DecodeIm(const DecodeContext& ctx) {
  const auto bytes = ctx.bytes();
  const std::optional<Header> parsed = ParseHeader(bytes);
  if (!parsed.has_value()) ctx.Fail("not an IM file: its header does not parse as Pillow's does");
  const Header& h = *parsed;
  if (!h.refusal.empty()) ctx.Fail(h.refusal);
  if (!h.type.has_value()) {
    ctx.Fail("IM image type \"" + PrintableText(h.mode_text) + "\" is not one Pillow reads", ErrorKind::kUnsupported);
  }
  if (h.size.size() != 2 || !h.size[0].is_int || !h.size[1].is_int) {
    ctx.Fail("IM image size is not two whole numbers");
  }
  const double wd = h.size[0].value, hd = h.size[1].value;
  const int64_t width = wd > 1e15 ? int64_t{1} << 50 : static_cast<int64_t>(wd);
  const int64_t height = hd > 1e15 ? int64_t{1} << 50 : static_cast<int64_t>(hd);
  Type type = *h.type;
  Palette palette;
  if (h.has_lut) {
    const uint8_t* lut = bytes.data() + h.data_at - 768;
    bool colour_lut = false;
    for (int i = 0; i < 256; ++i) {
      if (!(lut[i] == lut[i + 256] && lut[i] == lut[i + 512])) colour_lut = true;
    }
    if (colour_lut && (type.gray_mode || type.palette_mode)) {
      for (int i = 0; i < 256; ++i) palette.Set(i, lut[i], lut[i + 256], lut[i + 512]);
      if (type.bands == 2) {
        type.layout = Layout::kBands;  // LA and PA become PA, read "PA;L"
        type.to = BandsTo::kPaletteAlpha;
      } else {
        type.layout = Layout::kPalette;  // L and P become P, read 8 bits a pixel
      }
    }
  }
  if (type.layout == Layout::kRefused) {
    ctx.Fail("IM image type \"" + PrintableText(h.mode_text) + "\" has no raw mode Pillow unpacks (Pillow: unknown raw mode)");
  }
  ctx.CheckSize(width, height);

  const auto w = static_cast<size_t>(width);
  const auto rows = static_cast<size_t>(height);
  size_t row_bytes = 0;
  switch (type.layout) {
    case Layout::kBilevel:
      row_bytes = (w + 7) / 8;
      break;
    case Layout::kPalette2:
      row_bytes = (w * 2 + 7) / 8;
      break;
    case Layout::kPalette4:
      row_bytes = (w * 4 + 7) / 8;
      break;
    case Layout::kGray:
    case Layout::kPalette:
    case Layout::kSigned8:
    case Layout::kRgbPlanes:
      row_bytes = w;
      break;
    case Layout::kRgb:
      row_bytes = 3 * w;
      break;
    case Layout::kBands:
      row_bytes = static_cast<size_t>(type.bands) * w;
      break;
    case Layout::kGray16Le:
    case Layout::kGray16Be:
    case Layout::kSigned16Le:
      row_bytes = 2 * w;
      break;
    case Layout::kSigned32Le:
    case Layout::kUnsigned32Le:
    case Layout::kFloat32Le:
      row_bytes = 4 * w;
      break;
    case Layout::kBitPacked:
      row_bytes = (w * static_cast<size_t>(type.bits) + 7) / 8;
      break;
    case Layout::kRefused:
      break;
  }
  const size_t planes = type.layout == Layout::kRgbPlanes ? 3 : 1;
  if ((bytes.size() - h.data_at) / planes / row_bytes < rows) {
    ctx.Fail("truncated IM: the file ends before the last row");
  }

  Decoded decoded;
  decoded.image = AllocateImage(ctx, width, height);
  if (type.layout == Layout::kBitPacked) {
    BitPackedRows(bytes.data() + h.data_at, w, rows, type.bits, decoded.image.rgb.data());
    return decoded;
  }
  std::vector<uint8_t> samples(w * 4);
  for (size_t y = 0; y < rows; ++y) {
    const uint8_t* row = bytes.data() + h.data_at + (rows - 1 - y) * row_bytes;
    uint8_t* out = decoded.image.rgb.data() + y * w * 3;
    switch (type.layout) {
      case Layout::kBilevel:
        for (size_t x = 0; x < w; ++x) samples[x] = ((row[x >> 3] >> (7 - (x & 7))) & 1) != 0 ? 255 : 0;
        GrayRowToRgb(samples.data(), w, out);
        break;
      case Layout::kPalette2:
      case Layout::kPalette4: {
        const int bits = type.layout == Layout::kPalette2 ? 2 : 4;
        const int per_byte = 8 / bits;
        for (size_t x = 0; x < w; ++x) {
          const int shift = 8 - bits * (1 + static_cast<int>(x % per_byte));
          samples[x] = static_cast<uint8_t>((row[x / per_byte] >> shift) & ((1 << bits) - 1));
        }
        PaletteRowToRgb(samples.data(), w, palette, out);
        break;
      }
      case Layout::kGray:
        GrayRowToRgb(row, w, out);
        break;
      case Layout::kPalette:
        PaletteRowToRgb(row, w, palette, out);
        break;
      case Layout::kRgb:
        std::memcpy(out, row, 3 * w);
        break;
      case Layout::kRgbPlanes: {
        const size_t plane = w * rows;
        for (size_t x = 0; x < w; ++x) {
          out[3 * x] = row[plane + x];
          out[3 * x + 1] = row[x];
          out[3 * x + 2] = row[2 * plane + x];
        }
        break;
      }
      case Layout::kBands:
        for (size_t x = 0; x < w; ++x) {
          for (int b = 0; b < type.bands; ++b) samples[x * type.bands + b] = row[b * w + x];
        }
        switch (type.to) {
          case BandsTo::kGray:
            GrayAlphaRowToRgb(samples.data(), w, out);
            break;
          case BandsTo::kPaletteAlpha:
            for (size_t x = 0; x < w; ++x) samples[x] = samples[2 * x];
            PaletteRowToRgb(samples.data(), w, palette, out);
            break;
          case BandsTo::kRgb:
            type.bands == 3 ? static_cast<void>(std::memcpy(out, samples.data(), 3 * w))
                            : RgbaRowToRgb(samples.data(), w, out);
            break;
          case BandsTo::kCmyk:
            CmykRowToRgb(samples.data(), w, out);
            break;
          case BandsTo::kYcbcr:
            YcbcrRowToRgb(samples.data(), w, out);
            break;
        }
        break;
      default:
        for (size_t x = 0; x < w; ++x) {
          const uint8_t* p = row;
          double v = 0;
          switch (type.layout) {
            case Layout::kSigned8:
              v = static_cast<int8_t>(p[x]);
              break;
            case Layout::kGray16Le:
              v = p[2 * x] | (p[2 * x + 1] << 8);
              break;
            case Layout::kGray16Be:
              v = (p[2 * x] << 8) | p[2 * x + 1];
              break;
            case Layout::kSigned16Le:
              v = static_cast<int16_t>(p[2 * x] | (p[2 * x + 1] << 8));
              break;
            case Layout::kSigned32Le:
            case Layout::kUnsigned32Le: {
              const uint32_t u = p[4 * x] | (p[4 * x + 1] << 8) | (p[4 * x + 2] << 16) | (uint32_t{p[4 * x + 3]} << 24);
              v = type.layout == Layout::kSigned32Le ? static_cast<double>(static_cast<int32_t>(u)) : u;
              break;
            }
            case Layout::kFloat32Le: {
              float f;
              std::memcpy(&f, p + 4 * x, 4);
              v = f;
              break;
            }
            default:
              break;
          }
          samples[x] = FloatToL(static_cast<float>(v));  // I, I;16 and F all clip to 0..255 on the way
        }
        GrayRowToRgb(samples.data(), w, out);
        break;
    }
  }
  return decoded;
}

}  // namespace vit::image
