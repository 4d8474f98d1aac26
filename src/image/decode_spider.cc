// SPIDER (electron microscopy) single images by hand, as Pillow 9.4's SpiderImagePlugin reads them:
// 32-bit floats, big- or little-endian, opened as mode "F" and converted to RGB through "L".
//
// SPIDER has no signature: Pillow tries it late, and takes a file whose first 27 header floats, read
// big-endian and then little-endian, pass its isSpiderHeader check.
#include <cmath>
#include <cstring>
#include <string>

#include "image/decoders.h"
#include "image/pil_convert.h"

namespace vit::image {
namespace {

constexpr size_t kHeaderFloats = 27;

float Float(const uint8_t* p, bool big_endian) {
  uint8_t b[4];
  for (int i = 0; i < 4; ++i) b[i] = p[big_endian ? 3 - i : i];
  float v;
  std::memcpy(&v, b, 4);
  return v;
}

struct Header {
  bool big_endian = true;
  double h[kHeaderFloats + 1] = {};  // 1-based, as SPIDER numbers its fields
  int64_t length = 0;                // labbyt: the header's size in bytes
};

// Python's isInt: finite and integral.
bool IsInt(double v) { return std::isfinite(v) && v == std::trunc(v); }

// isSpiderHeader over one byte order; the header length, or 0. Values beyond 2^62 are taken as no
// header (Pillow would go on to fail reading the pixels there).
int64_t SpiderHeaderLength(const double* h) {
  for (int i : {1, 2, 5, 12, 13, 22, 23}) {
    if (!IsInt(h[i])) return 0;
  }
  const double iform = h[5];
  if (iform != 1 && iform != 3 && iform != -11 && iform != -12 && iform != -21 && iform != -22) return 0;
  constexpr double kLimit = 4611686018427387904.0;  // 2^62
  if (std::fabs(h[13]) >= kLimit || std::fabs(h[22]) >= kLimit || std::fabs(h[23]) >= kLimit) return 0;
  const auto labrec = static_cast<int64_t>(h[13]), labbyt = static_cast<int64_t>(h[22]),
             lenbyt = static_cast<int64_t>(h[23]);
  if (static_cast<__int128>(labrec) * lenbyt != labbyt) return 0;
  return labbyt;
}

bool ReadHeader(std::span<const uint8_t> bytes, Header& header) {
  if (bytes.size() < kHeaderFloats * 4) return false;
  for (bool big : {true, false}) {
    header.big_endian = big;
    for (size_t i = 0; i < kHeaderFloats; ++i) header.h[i + 1] = Float(bytes.data() + 4 * i, big);
    header.length = SpiderHeaderLength(header.h);
    if (header.length != 0) return true;
  }
  return false;
}

int64_t Dimension(double v) { return v >= 1e12 ? int64_t{1} << 40 : static_cast<int64_t>(v); }

}  // namespace

// _open's checks that send Pillow on to the next format: a header in either byte order, of a 2D image.
bool LooksLikeSpider(std::span<const uint8_t> bytes) {
  Header header;
  return ReadHeader(bytes, header) && header.h[5] == 1;
}

Decoded DecodeSpider(const DecodeContext& ctx) {
  const auto bytes = ctx.bytes();
  Header header;
  if (!ReadHeader(bytes, header) || header.h[5] != 1) ctx.Fail("not a SPIDER 2D image");
  const double* h = header.h;
  if (!std::isfinite(h[24]) || !std::isfinite(h[27])) ctx.Fail("SPIDER stack fields are not numbers");
  const double istack = std::trunc(h[24]), imgnumber = std::trunc(h[27]);
  int64_t offset = 0;
  if (istack == 0 && imgnumber == 0) {
    offset = header.length;
  } else if (istack > 0 && imgnumber == 0) {
    offset = header.length * 2;  // the stack's header, then the first image's
  } else {
    ctx.Fail("SPIDER stack header values that Pillow 9.4 cannot open", ErrorKind::kUnsupported);
  }
  const int64_t width = Dimension(h[12]), height = Dimension(h[2]);
  ctx.CheckSize(width, height);
  const auto w = static_cast<size_t>(width), n = w * static_cast<size_t>(height);
  if (offset < 0 || static_cast<uint64_t>(offset) > bytes.size() || (bytes.size() - offset) / 4 < n) {
    ctx.Fail("truncated SPIDER: " + std::to_string(n * 4) + " bytes of pixels needed at offset " +
             std::to_string(offset));
  }
  Decoded decoded;
  decoded.image = AllocateImage(ctx, width, height);
  const uint8_t* in = bytes.data() + offset;
  uint8_t* out = decoded.image.rgb.data();
  for (size_t i = 0; i < n; ++i) {
    const uint8_t grey = FloatToL(Float(in + 4 * i, header.big_endian));
    out[3 * i] = out[3 * i + 1] = out[3 * i + 2] = grey;
  }
  return decoded;
}

}  // namespace vit::image
