// XPM by hand, following Pillow 9.4's XpmImagePlugin: one character per pixel, at most 256 colours,
// each given as "#" and hex digits or as None.
//
// Pillow reads the file line by line (a line ends after '\n'): the first line after "/* XPM */" that
// starts with '"' and four space-separated numbers is the header; the next <colours> lines each define
// the palette entry of their second byte, from the first "c" key among the even-numbered words of the
// line less its first two and last two bytes. A hex colour keeps the low 24 bits of Python's int(x, 16)
// (a sign, a 0x prefix and underscores between digits are accepted); None only marks transparency,
// which convert("RGB") ignores; any other colour, or no "c" key, is refused. Entries no line defines are
// black. Each of the <height> lines after that gives bytes 1 to <width> of itself, padded with spaces
// when short (a missing line is all spaces), as palette indices.
#include <algorithm>
#include <string>
#include <string_view>
#include <vector>

#include "image/decoders.h"
#include "image/pil_convert.h"

namespace vit::image {
namespace {

bool IsDigit(uint8_t c) { return c >= '0' && c <= '9'; }
// bytes.split()'s whitespace.
bool IsSpace(uint8_t c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f'; }

int HexDigit(uint8_t c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Python's int(s, 16), modulo 2^24; false where int() raises ValueError.
bool ParseHex24(std::string_view s, uint32_t& low24) {
  size_t at = 0;
  bool negative = false;
  if (at < s.size() && (s[at] == '+' || s[at] == '-')) negative = s[at++] == '-';
  bool underscore_ok = false;  // int() takes one '_' between digits, or right after a 0x prefix
  if (s.size() - at >= 2 && s[at] == '0' && (s[at + 1] == 'x' || s[at + 1] == 'X')) {
    at += 2;
    underscore_ok = true;
  }
  uint32_t value = 0;
  size_t digits = 0;
  for (; at < s.size(); ++at) {
    const uint8_t c = static_cast<uint8_t>(s[at]);
    if (c == '_') {
      if (!underscore_ok) return false;
      underscore_ok = false;
      continue;
    }
    const int d = HexDigit(c);
    if (d < 0) return false;
    value = ((value << 4) | static_cast<uint32_t>(d)) & 0xFFFFFF;
    ++digits;
    underscore_ok = true;
  }
  if (digits == 0 || (at > 0 && s[at - 1] == '_')) return false;
  low24 = (negative ? (0x1000000 - value) : value) & 0xFFFFFF;
  return true;
}

class Lines {
 public:
  Lines(std::span<const uint8_t> bytes, size_t at) : bytes_(bytes), at_(at) {}
  // Python's readline(): up to and including the next '\n', empty at the end of the file.
  std::string_view Next() {
    const size_t start = at_;
    while (at_ < bytes_.size() && bytes_[at_++] != '\n') {
    }
    return {reinterpret_cast<const char*>(bytes_.data() + start), at_ - start};
  }

 private:
  std::span<const uint8_t> bytes_;
  size_t at_;
};

// xpm_head: '"([0-9]*) ([0-9]*) ([0-9]*) ([0-9]*)' at the start of the line; each group's text.
bool MatchHeader(std::string_view line, std::string_view (&groups)[4]) {
  if (line.empty() || line[0] != '"') return false;
  size_t at = 1;
  for (int g = 0; g < 4; ++g) {
    if (g > 0) {
      if (at >= line.size() || line[at] != ' ') return false;
      ++at;
    }
    const size_t start = at;
    while (at < line.size() && IsDigit(static_cast<uint8_t>(line[at]))) ++at;
    groups[g] = line.substr(start, at - start);
  }
  return true;
}

// int() of a run of digits, saturated; false where int() raises (empty, or over Python's 4300 digits).
bool ParseDecimal(std::string_view digits, int64_t& value) {
  if (digits.empty() || digits.size() > 4300) return false;
  value = 0;
  for (const char c : digits) value = std::min<int64_t>(value * 10 + (c - '0'), int64_t{1} << 40);
  return true;
}

std::vector<std::string_view> Words(std::string_view s) {
  std::vector<std::string_view> words;
  size_t at = 0;
  while (at < s.size()) {
    while (at < s.size() && IsSpace(static_cast<uint8_t>(s[at]))) ++at;
    const size_t start = at;
    while (at < s.size() && !IsSpace(static_cast<uint8_t>(s[at]))) ++at;
    if (at > start) words.push_back(s.substr(start, at - start));
  }
  return words;
}

}  // namespace

Decoded DecodeXpm(const DecodeContext& ctx) {
  const auto bytes = ctx.bytes();
  if (bytes.size() < 9 || std::string_view(reinterpret_cast<const char*>(bytes.data()), 9) != "/* XPM */") {
    ctx.Fail("not an XPM file");
  }
  Lines lines(bytes, 9);
  std::string_view groups[4];
  for (;;) {
    const std::string_view line = lines.Next();
    if (line.empty()) ctx.Fail("broken XPM file: no \"<width> <height> <colours> <chars per pixel>\" line");
    if (MatchHeader(line, groups)) break;
  }
  int64_t width = 0, height = 0, colours = 0, chars_per_pixel = 0;
  if (!ParseDecimal(groups[0], width) || !ParseDecimal(groups[1], height) || !ParseDecimal(groups[2], colours) ||
      !ParseDecimal(groups[3], chars_per_pixel)) {
    ctx.Fail("XPM header has an empty number");
  }
  if (colours > 256 || chars_per_pixel != 1) {
    ctx.Fail("XPM files of " + std::to_string(colours) + " colours and " + std::to_string(chars_per_pixel) +
                 " characters per pixel are not read (Pillow reads 1 character per pixel, at most 256 colours)",
             ErrorKind::kUnsupported);
  }

  Palette palette;
  for (int i = 0; i < 256; ++i) palette.Set(i, 0, 0, 0);
  for (int64_t n = 0; n < colours; ++n) {
    std::string_view s = lines.Next();
    if (s.size() >= 2 && s.substr(s.size() - 2) == "\r\n") {
      s.remove_suffix(2);
    } else if (s.empty() || s.back() == '\r' || s.back() == '\n') {
      if (!s.empty()) s.remove_suffix(1);
    }
    if (s.size() < 2) ctx.Fail("XPM colour line " + std::to_string(n + 1) + " is cut short");
    const auto index = static_cast<uint8_t>(s[1]);
    const std::vector<std::string_view> words = Words(s.size() > 4 ? s.substr(2, s.size() - 4) : std::string_view());
    bool found = false;
    for (size_t i = 0; i < words.size(); i += 2) {
      if (words[i] != "c") continue;
      if (i + 1 >= words.size()) ctx.Fail("XPM colour line " + std::to_string(n + 1) + " has a \"c\" key without a value");
      const std::string_view rgb = words[i + 1];
      if (rgb != "None") {
        uint32_t v = 0;
        if (rgb[0] != '#' || !ParseHex24(rgb.substr(1), v)) {
          ctx.Fail("XPM colour \"" + PrintableText(rgb) + "\" is not read (Pillow reads #<hex> and None only)",
                   ErrorKind::kUnsupported);
        }
        palette.Set(index, static_cast<uint8_t>(v >> 16), static_cast<uint8_t>(v >> 8), static_cast<uint8_t>(v));
      }
      found = true;
      break;
    }
    if (!found) ctx.Fail("XPM colour line " + std::to_string(n + 1) + " has no \"c\" colour key");
  }

  Decoded decoded;
  decoded.image = AllocateImage(ctx, width, height);
  const auto w = static_cast<size_t>(width);
  std::vector<uint8_t> row(w);
  for (size_t y = 0; y < static_cast<size_t>(height); ++y) {
    const std::string_view line = lines.Next();
    const size_t n = line.size() > 1 ? std::min(w, line.size() - 1) : 0;
    std::copy_n(line.data() + (n > 0 ? 1 : 0), n, row.data());
    std::fill(row.begin() + static_cast<std::ptrdiff_t>(n), row.end(), uint8_t{' '});
    PaletteRowToRgb(row.data(), w, palette, decoded.image.rgb.data() + y * w * 3);
  }
  return decoded;
}

}  // namespace vit::image
