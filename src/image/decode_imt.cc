// IM Tools images by hand, as Pillow 9.4's ImtImagePlugin reads them: text lines of "key value" up to
// a form feed, then 8-bit grey pixels.
//
// IMT has no signature: Pillow tries it early, on any file with a newline in its first 100 bytes, and
// takes it when the lines it reads before a form feed give a width, a height and "pixel n8". A line
// that is one character long, longer than 100, or not lowercase letters, a space and a value ends the
// header (without an image, unless a form feed came first).
#include <cstring>
#include <optional>
#include <string>
#include <string_view>

#include "image/decoders.h"
#include "image/pil_convert.h"
#include "image/python_text.h"

namespace vit::image {
namespace {

struct ImtHeader {
  int64_t width = 0, height = 0;
  bool grey = false;
  std::optional<size_t> pixels_at;  // just after the form feed
  std::string error;                // int() refused a size: Pillow raises, trying no other format
};

// The regex ([a-z]*) ([^ \r\n]*), matched at the start of the line.
bool MatchField(std::string_view s, std::string_view& key, std::string_view& value) {
  size_t i = 0;
  while (i < s.size() && s[i] >= 'a' && s[i] <= 'z') ++i;
  if (i == s.size() || s[i] != ' ') return false;
  key = s.substr(0, i);
  size_t j = i + 1;
  while (j < s.size() && s[j] != ' ' && s[j] != '\r' && s[j] != '\n') ++j;
  value = s.substr(i + 1, j - i - 1);
  return true;
}

ImtHeader ReadHeader(std::span<const uint8_t> bytes) {
  ImtHeader header;
  const std::string_view text(reinterpret_cast<const char*>(bytes.data()), bytes.size());
  for (size_t at = 0; at < text.size();) {
    if (text[at] == '\x0c') {
      header.pixels_at = at + 1;
      break;
    }
    size_t nl = text.find('\n', at + 1);
    if (nl == std::string_view::npos) nl = text.size();
    const std::string_view line = text.substr(at, nl - at);
    at = nl + 1;
    if (line.size() == 1 || line.size() > 100) break;
    if (line[0] == '*') continue;  // a comment
    std::string_view key, value;
    if (!MatchField(line, key, value)) break;
    if (key == "width" || key == "height") {
      const auto v = PythonInt(value);
      if (!v) {
        header.error = "IM Tools " + std::string(key) + " is not an integer (\"" + std::string(value) + "\")";
        break;
      }
      (key == "width" ? header.width : header.height) = *v;
    } else if (key == "pixel" && value == "n8") {
      header.grey = true;
    }
  }
  return header;
}

}  // namespace

bool LooksLikeImt(std::span<const uint8_t> bytes) {
  const size_t first = std::min<size_t>(bytes.size(), 100);
  if (std::memchr(bytes.data(), '\n', first) == nullptr) return false;
  const ImtHeader header = ReadHeader(bytes);
  return !header.error.empty() || (header.grey && header.width > 0 && header.height > 0 && header.pixels_at);
}

Decoded DecodeImt(const DecodeContext& ctx) {
  const auto bytes = ctx.bytes();
  if (!LooksLikeImt(bytes)) ctx.Fail("not an IM Tools image");
  const ImtHeader header = ReadHeader(bytes);
  if (!header.error.empty()) ctx.Fail(header.error);
  ctx.CheckSize(header.width, header.height);
  const auto w = static_cast<size_t>(header.width), h = static_cast<size_t>(header.height);
  if ((bytes.size() - *header.pixels_at) / w < h) ctx.Fail("truncated IM Tools image: the pixels end early");
  Decoded decoded;
  decoded.image = AllocateImage(ctx, header.width, header.height);
  GrayRowToRgb(bytes.data() + *header.pixels_at, w * h, decoded.image.rgb.data());
  return decoded;
}

}  // namespace vit::image
