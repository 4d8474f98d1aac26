// XBM by hand, following Pillow 9.4's XbmImagePlugin and XbmDecode.c.
//
// Pillow matches its header expression against the first 512 bytes only: "#define <name>_width N" and
// "#define <name>_height N" lines (each number ending its line), an optional x_hot/y_hot pair, and then
// everything up to the last "_bits[]" in those bytes, where the pixel data starts. The data are read as
// "x" followed by two characters taken as hex digits (anything else counting 0), one byte per "x",
// rows of (width + 7) / 8 bytes, least significant bit first, a set bit white.
#include <algorithm>
#include <string>
#include <string_view>
#include <vector>

#include "image/decoders.h"

namespace vit::image {
namespace {

bool IsSpace(uint8_t c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v'; }
bool IsDigit(uint8_t c) { return c >= '0' && c <= '9'; }

class HeaderMatcher {
 public:
  explicit HeaderMatcher(std::string_view s) : s_(s) {}

  // Python's xbm_head.match: true with the numbers and the end of the match.
  bool Match(int64_t& width, int64_t& height, size_t& end) const {
    size_t at = 0;
    while (at < s_.size() && IsSpace(static_cast<uint8_t>(s_[at]))) ++at;
    return DefineLine(at, "_width", width, [&](size_t next) {
      return DefineLine(next, "_height", height, [&](size_t after) {
        const size_t hot = Hotspot(after);
        if (hot != std::string_view::npos && Bits(hot, end)) return true;
        return Bits(after, end);
      });
    });
  }

 private:
  // "#define[ \t]+.*<suffix>[ \t]+([0-9]+)[\r\n]+" at `at`, trying the candidates of ".*" from the
  // right as the regular expression does, each handed to `rest`.
  template <typename Rest>
  bool DefineLine(size_t at, std::string_view suffix, int64_t& value, Rest rest) const {
    if (s_.substr(at, 7) != "#define") return false;
    at += 7;
    const size_t blanks = at;
    while (at < s_.size() && (s_[at] == ' ' || s_[at] == '\t')) ++at;
    if (at == blanks) return false;
    size_t line_end = s_.find('\n', at);
    if (line_end == std::string_view::npos) line_end = s_.size();
    // ".*" may give back characters; so may "[ \t]+", but only to ".*", which changes nothing below.
    for (size_t k = line_end; k-- > at;) {
      if (s_.substr(k, suffix.size()) != suffix) continue;
      size_t p = k + suffix.size();
      const size_t sp = p;
      while (p < s_.size() && (s_[p] == ' ' || s_[p] == '\t')) ++p;
      if (p == sp) continue;
      const size_t digits = p;
      int64_t v = 0;
      while (p < s_.size() && IsDigit(static_cast<uint8_t>(s_[p]))) {
        if (v < (int64_t{1} << 40)) v = v * 10 + (s_[p] - '0');
        ++p;
      }
      // "[0-9]+" could give back digits, but the digit before "[\r\n]+" would then be a digit: no match.
      if (p == digits || p >= s_.size() || (s_[p] != '\r' && s_[p] != '\n')) continue;
      while (p < s_.size() && (s_[p] == '\r' || s_[p] == '\n')) ++p;
      if (rest(p)) {
        value = v;
        return true;
      }
    }
    return false;
  }

  // The hotspot group "#define[ \t]+[^_]*_x_hot[ \t]+[0-9]+[\r\n]+" twice (x, then y): where it ends,
  // or npos.
  size_t Hotspot(size_t at) const {
    for (const std::string_view name : {std::string_view("_x_hot"), std::string_view("_y_hot")}) {
      if (s_.substr(at, 7) != "#define") return std::string_view::npos;
      at += 7;
      const size_t blanks = at;
      while (at < s_.size() && (s_[at] == ' ' || s_[at] == '\t')) ++at;
      if (at == blanks) return std::string_view::npos;
      at = s_.find('_', at);  // "[^_]*" stops at the first '_', and giving back cannot put one there
      if (at == std::string_view::npos || s_.substr(at, name.size()) != name) return std::string_view::npos;
      at += name.size();
      const size_t sp = at;
      while (at < s_.size() && (s_[at] == ' ' || s_[at] == '\t')) ++at;
      if (at == sp) return std::string_view::npos;
      const size_t digits = at;
      while (at < s_.size() && IsDigit(static_cast<uint8_t>(s_[at]))) ++at;
      if (at == digits || at >= s_.size() || (s_[at] != '\r' && s_[at] != '\n')) return std::string_view::npos;
      while (at < s_.size() && (s_[at] == '\r' || s_[at] == '\n')) ++at;
    }
    return at;
  }

  // "[\000-\377]*_bits\[]": the last "_bits[]" at or after `at`.
  bool Bits(size_t at, size_t& end) const {
    const size_t k = s_.rfind("_bits[]");
    if (k == std::string_view::npos || k < at) return false;
    end = k + 7;
    return true;
  }

  std::string_view s_;
};

int Hex(uint8_t v) {
  if (v >= '0' && v <= '9') return v - '0';
  if (v >= 'a' && v <= 'f') return v - 'a' + 10;
  if (v >= 'A' && v <= 'F') return v - 'A' + 10;
  return 0;
}

}  // namespace

bool LooksLikeXbm(std::span<const uint8_t> bytes) {
  // Image.open hands _accept the first 16 bytes, which lstrip() must leave starting with "#define".
  size_t at = 0;
  const size_t prefix = std::min<size_t>(16, bytes.size());
  while (at < prefix && IsSpace(bytes[at])) ++at;
  return prefix - at >= 7 && std::string_view(reinterpret_cast<const char*>(bytes.data() + at), 7) == "#define";
}

Decoded DecodeXbm(const DecodeContext& ctx) {
  const auto bytes = ctx.bytes();
  const std::string_view head(reinterpret_cast<const char*>(bytes.data()), std::min<size_t>(512, bytes.size()));
  int64_t width = 0, height = 0;
  size_t at = 0;
  if (!HeaderMatcher(head).Match(width, height, at)) ctx.Fail("not an XBM file: its header does not match Pillow's");
  ctx.CheckSize(width, height);
  const auto w = static_cast<size_t>(width);
  const auto h = static_cast<size_t>(height);
  const size_t row_bytes = (w + 7) / 8;
  // Every byte of pixel data takes three bytes of the file at least.
  if ((bytes.size() - at) / 3 < row_bytes * h) ctx.Fail("truncated XBM: the file ends before the last row");
  Decoded decoded;
  decoded.image = AllocateImage(ctx, width, height);
  std::vector<uint8_t> row(row_bytes);
  for (size_t y = 0; y < h; ++y) {
    for (size_t i = 0; i < row_bytes; ++i) {
      while (at < bytes.size() && bytes[at] != 'x') ++at;
      if (bytes.size() - at < 3) ctx.Fail("truncated XBM: the file ends before the last row");
      row[i] = static_cast<uint8_t>((Hex(bytes[at + 1]) << 4) + Hex(bytes[at + 2]));
      at += 3;
    }
    uint8_t* out = decoded.image.rgb.data() + y * w * 3;
    for (size_t x = 0; x < w; ++x) {
      out[3 * x] = out[3 * x + 1] = out[3 * x + 2] = ((row[x >> 3] >> (x & 7)) & 1) != 0 ? 255 : 0;
    }
  }
  return decoded;
}

}  // namespace vit::image
