// FITS images by hand, as Pillow 9.4's FitsImagePlugin reads them (9.4 has no FITS decoder of its own:
// it hands the data to the raw decoder in the image's mode).
//
// Pillow reads 80-byte cards up to END, wants the first to be exactly "SIMPLE = T" (a comment after
// the T makes it no FITS file), and takes NAXIS, NAXIS1, NAXIS2 and BITPIX with Python's int(). The
// data starts at the next multiple of 2880 bytes, bottom row first. It reads the samples in the
// machine's order, not FITS's big-endian one, and 16-bit and 64-bit data as 32-bit samples: "L" for 8
// bits, "I" (little-endian int32, clipped to 0..255 by convert) for 16 and 32, "F" (float32, through
// f2l) for -32 and -64. This decoder reads them the same way.
#include <cstring>
#include <map>
#include <string>
#include <string_view>

#include "image/decoders.h"
#include "image/pil_convert.h"
#include "image/python_text.h"

namespace vit::image {
namespace {

constexpr size_t kCard = 80, kBlock = 2880;

struct Header {
  std::map<std::string, std::string_view> cards;
  size_t end = 0;  // where reading stopped: just after the END card
};

std::string_view CardText(std::span<const uint8_t> bytes, size_t at, size_t n) {
  return {reinterpret_cast<const char*>(bytes.data()) + at, n};
}

// The card loop of _open; false where Pillow raises SyntaxError (not a FITS file: it tries on).
bool ReadCards(const DecodeContext* ctx, std::span<const uint8_t> bytes, Header& header) {
  size_t at = 0;
  for (;;) {
    if (at >= bytes.size()) {
      if (ctx != nullptr) ctx->Fail("truncated FITS: no END card");
      return true;
    }
    const size_t n = std::min(kCard, bytes.size() - at);
    const std::string_view card = CardText(bytes, at, n);
    at += n;
    const std::string_view keyword = PythonStrip(card.substr(0, std::min<size_t>(8, n)));
    if (keyword == "END") break;
    std::string_view value = n > 8 ? PythonStrip(card.substr(8)) : std::string_view();
    if (!value.empty() && value[0] == '=') value = PythonStrip(value.substr(1));
    if (header.cards.empty() && (keyword.substr(0, 6) != "SIMPLE" || value != "T")) return false;
    header.cards[std::string(keyword)] = value;
  }
  header.end = at;
  return true;
}

int64_t IntCard(const DecodeContext& ctx, const Header& header, const char* key) {
  const auto it = header.cards.find(key);
  if (it == header.cards.end()) ctx.Fail(std::string("FITS header has no ") + key + " card");
  const auto v = PythonInt(it->second);
  if (!v) ctx.Fail(std::string("FITS ") + key + " is not an integer (\"" + std::string(it->second) + "\")");
  return *v;
}

}  // namespace

bool LooksLikeFits(std::span<const uint8_t> bytes) {
  Header header;
  return bytes.size() >= 6 && std::memcmp(bytes.data(), "SIMPLE", 6) == 0 && ReadCards(nullptr, bytes, header);
}

Decoded DecodeFits(const DecodeContext& ctx) {
  const auto bytes = ctx.bytes();
  Header header;
  if (!LooksLikeFits(bytes)) ctx.Fail("not a FITS file");
  ReadCards(&ctx, bytes, header);
  const int64_t naxis = IntCard(ctx, header, "NAXIS");
  if (naxis == 0) ctx.Fail("FITS file holds no image data (NAXIS = 0)");
  int64_t width = 1, height = 0;
  if (naxis == 1) {
    height = IntCard(ctx, header, "NAXIS1");
  } else {
    width = IntCard(ctx, header, "NAXIS1");
    height = IntCard(ctx, header, "NAXIS2");
  }
  const int64_t bitpix = IntCard(ctx, header, "BITPIX");
  if (bitpix != 8 && bitpix != 16 && bitpix != 32 && bitpix != -32 && bitpix != -64) {
    ctx.Fail("FITS BITPIX " + std::to_string(bitpix) + " is not one Pillow reads", ErrorKind::kUnsupported);
  }
  ctx.CheckSize(width, height);
  const size_t sample = bitpix == 8 ? 1 : 4;
  const size_t offset = (header.end + kBlock - 1) / kBlock * kBlock;
  const auto w = static_cast<size_t>(width), h = static_cast<size_t>(height);
  if (offset > bytes.size() || (bytes.size() - offset) / sample / w < h) {
    ctx.Fail("truncated FITS: " + std::to_string(w * h * sample) + " bytes of samples needed at offset " +
             std::to_string(offset));
  }
  Decoded decoded;
  decoded.image = AllocateImage(ctx, width, height);
  for (size_t y = 0; y < h; ++y) {
    const uint8_t* in = bytes.data() + offset + (h - 1 - y) * w * sample;  // bottom row first
    uint8_t* out = decoded.image.rgb.data() + y * w * 3;
    for (size_t x = 0; x < w; ++x, out += 3) {
      uint8_t grey = in[x];
      if (sample == 4) {
        uint32_t bits = 0;
        for (int i = 3; i >= 0; --i) bits = (bits << 8) | in[4 * x + static_cast<size_t>(i)];
        if (bitpix > 0) {
          const auto v = static_cast<int32_t>(bits);
          grey = static_cast<uint8_t>(v < 0 ? 0 : v > 255 ? 255 : v);
        } else {
          float f;
          std::memcpy(&f, &bits, 4);
          grey = FloatToL(f);
        }
      }
      out[0] = out[1] = out[2] = grey;
    }
  }
  return decoded;
}

}  // namespace vit::image
