// DDS (DirectDraw Surface) by hand, following Pillow 9.4's DdsImagePlugin and its BCn decoder: the first
// surface only, uncompressed luminance and RGB(A) or the block-compressed DXT1/DXT3/DXT5 (BC1-3), BC4,
// BC5 (unsigned and signed), BC6H (unsigned and signed) and BC7 (dds_bptc.h), then convert("RGB").
//
// Pillow ignores most of the header: the flags, the pixel-format size, the pitch and the bit count. For
// uncompressed RGB it derives its raw mode from the R, G, B (and, with DDPF_ALPHAPIXELS, A) masks, so a
// pixel has as many bytes as that mode has letters whatever the header's bit count says. The pixels
// follow the 128-byte header (148 with a DX10 extension) whatever the other fields say. Every block or
// row must be present: a file cut short is refused ("image file is truncated").
#include <array>
#include <cstring>
#include <string>

#include "image/bcn_blocks.h"
#include "image/dds_bptc.h"
#include "image/decoders.h"
#include "image/pil_convert.h"

namespace vit::image {
namespace {

uint32_t U32(const uint8_t* p) { return p[0] | (uint32_t{p[1]} << 8) | (uint32_t{p[2]} << 16) | (uint32_t{p[3]} << 24); }

constexpr size_t kHeaderEnd = 128;  // "DDS " and the 124-byte header
constexpr size_t kDx10End = kHeaderEnd + 20;
constexpr uint32_t kDdpfAlphaPixels = 0x1;
constexpr uint32_t kDdpfRgb = 0x40;
constexpr uint32_t kDdpfLuminance = 0x20000;

enum class Block { kBc1, kBc2, kBc3, kBc4, kBc5, kBc5Signed, kBc6h, kBc6hSigned, kBc7 };

// One block's 16 pixels as RGB (the alpha that convert("RGB") drops is not kept).
void DecodeBlock(Block kind, const uint8_t* src, std::array<uint8_t, 48>& rgb) {
  std::array<Rgba, 16> c{};
  std::array<uint8_t, 16> ch0{}, ch1{};
  switch (kind) {
    case Block::kBc1:
      ColourBlock(src, false, Widen565::kRepeatTopBits, c);
      break;
    case Block::kBc2:
    case Block::kBc3:
      ColourBlock(src + 8, true, Widen565::kRepeatTopBits, c);
      break;
    case Block::kBc4:
      ChannelBlock(src, false, ch0);
      for (size_t n = 0; n < 16; ++n) c[n] = Rgba{ch0[n], ch0[n], ch0[n], 255};  // mode L
      break;
    case Block::kBc5:
    case Block::kBc5Signed: {
      const bool sign = kind == Block::kBc5Signed;
      ChannelBlock(src, sign, ch0);
      ChannelBlock(src + 8, sign, ch1);
      // Red and green from the two channels; blue stays 0.
      for (size_t n = 0; n < 16; ++n) c[n] = Rgba{ch0[n], ch1[n], 0, 255};
      break;
    }
    case Block::kBc6h:
    case Block::kBc6hSigned:
      return DecodeBc6hBlock(src, kind == Block::kBc6hSigned, rgb);
    case Block::kBc7:
      return DecodeBc7Block(src, rgb);
  }
  for (size_t n = 0; n < 16; ++n) {
    rgb[3 * n] = c[n].r;
    rgb[3 * n + 1] = c[n].g;
    rgb[3 * n + 2] = c[n].b;
  }
}

size_t BlockBytes(Block kind) { return kind == Block::kBc1 || kind == Block::kBc4 ? 8 : 16; }

Decoded DecodeBlocks(const DecodeContext& ctx, Block kind, size_t start, int64_t width, int64_t height) {
  ctx.CheckSize(width, height);
  const auto w = static_cast<size_t>(width), h = static_cast<size_t>(height);
  const size_t across = (w + 3) / 4, down = (h + 3) / 4, size = BlockBytes(kind);
  const auto bytes = ctx.bytes();
  const size_t available = bytes.size() > start ? bytes.size() - start : 0;
  if (available / size / across < down) {
    ctx.Fail("truncated DDS: " + std::to_string(across * down) + " blocks of " + std::to_string(size) +
             " bytes needed, the file holds " + std::to_string(available) + " bytes of them");
  }
  Decoded decoded;
  decoded.image = AllocateImage(ctx, width, height);
  uint8_t* out = decoded.image.rgb.data();
  std::array<uint8_t, 48> rgb;
  const uint8_t* src = bytes.data() + start;
  for (size_t by = 0; by < down; ++by) {
    for (size_t bx = 0; bx < across; ++bx, src += size) {
      DecodeBlock(kind, src, rgb);
      for (size_t j = 0; j < 4 && by * 4 + j < h; ++j) {
        const size_t x0 = bx * 4, n = std::min<size_t>(4, w - x0);
        std::memcpy(out + ((by * 4 + j) * w + x0) * 3, rgb.data() + j * 12, n * 3);
      }
    }
  }
  return decoded;
}

}  // namespace

Decoded DecodeBc1Surface(const DecodeContext& ctx, size_t start, int64_t width, int64_t height) {
  return DecodeBlocks(ctx, Block::kBc1, start, width, height);
}

namespace {

// Uncompressed pixels in one of Pillow's raw modes: `layout` names the channel each byte holds
// ("BGR", "ARGB", "L", "LA", ...).
Decoded DecodeRaw(const DecodeContext& ctx, const std::string& layout, size_t start, int64_t width, int64_t height) {
  ctx.CheckSize(width, height);
  const auto w = static_cast<size_t>(width), h = static_cast<size_t>(height);
  const size_t bpp = layout.size();
  const auto bytes = ctx.bytes();
  const size_t available = bytes.size() > start ? bytes.size() - start : 0;
  if (available / bpp / w < h) {
    ctx.Fail("truncated DDS: " + std::to_string(w) + "x" + std::to_string(h) + " pixels of " + std::to_string(bpp) +
             " bytes need more than the " + std::to_string(available) + " bytes after the header");
  }
  const bool gray = layout[0] == 'L';
  const size_t r = gray ? 0 : layout.find('R'), g = gray ? 0 : layout.find('G'), b = gray ? 0 : layout.find('B');
  Decoded decoded;
  decoded.image = AllocateImage(ctx, width, height);
  uint8_t* out = decoded.image.rgb.data();
  const uint8_t* in = bytes.data() + start;
  for (size_t i = 0; i < w * h; ++i, in += bpp, out += 3) {
    out[0] = in[r];
    out[1] = in[g];
    out[2] = in[b];
  }
  return decoded;
}

std::string FourCcText(const uint8_t* p) {
  std::string text;
  for (int i = 0; i < 4; ++i) {
    const char c = static_cast<char>(p[i]);
    text += (c >= 0x20 && c < 0x7F) ? std::string(1, c) : "\\x" + std::string(1, "0123456789abcdef"[p[i] >> 4]) +
                                                               std::string(1, "0123456789abcdef"[p[i] & 15]);
  }
  return text;
}

}  // namespace

Decoded DecodeDds(const DecodeContext& ctx) {
  const auto bytes = ctx.bytes();
  if (bytes.size() < 8 || std::memcmp(bytes.data(), "DDS ", 4) != 0) ctx.Fail("not a DDS file");
  const uint8_t* s = bytes.data();
  const uint32_t header_size = U32(s + 4);
  if (header_size != 124) {
    ctx.Fail("unsupported DDS header size " + std::to_string(header_size) + " (Pillow reads 124)",
             ErrorKind::kUnsupported);
  }
  if (bytes.size() < kHeaderEnd) ctx.Fail("truncated DDS: the 124-byte header is cut short");
  const int64_t height = U32(s + 12), width = U32(s + 16);
  const uint32_t pf_flags = U32(s + 80);
  const uint8_t* fourcc = s + 84;
  const std::array<uint32_t, 4> masks = {U32(s + 92), U32(s + 96), U32(s + 100), U32(s + 104)};

  if ((pf_flags & kDdpfLuminance) != 0) {
    return DecodeRaw(ctx, (pf_flags & kDdpfAlphaPixels) != 0 ? "LA" : "L", kHeaderEnd, width, height);
  }
  if ((pf_flags & kDdpfRgb) != 0) {
    // Pillow maps each mask to its channel letter (a later channel wins a repeated mask) and looks up
    // 0xFF000000 (with DDPF_ALPHAPIXELS), 0xFF0000, 0xFF00 and 0xFF, most significant byte first.
    auto letter = [&](uint32_t mask) {
      for (int i = 3; i >= 0; --i) {
        if (masks[static_cast<size_t>(i)] == mask) return "RGBA"[i];
      }
      ctx.Fail("unsupported DDS RGB bit masks: none of them is " + std::to_string(mask) + " (Pillow needs byte masks)",
               ErrorKind::kUnsupported);
    };
    std::string layout;
    if ((pf_flags & kDdpfAlphaPixels) != 0) layout += letter(0xFF000000u);
    layout += letter(0xFF0000u);
    layout += letter(0xFF00u);
    layout += letter(0xFFu);
    layout = std::string(layout.rbegin(), layout.rend());  // little-endian: the lowest byte comes first
    if (layout != "RGB" && layout != "BGR" && layout != "RGBA" && layout != "BGRA" && layout != "ARGB" &&
        layout != "ABGR") {
      ctx.Fail("unsupported DDS RGB bit masks (raw mode " + layout + ", which Pillow has no unpacker for)",
               ErrorKind::kUnsupported);
    }
    return DecodeRaw(ctx, layout, kHeaderEnd, width, height);
  }
  const std::string code(reinterpret_cast<const char*>(fourcc), 4);
  if (code == "DXT1") return DecodeBlocks(ctx, Block::kBc1, kHeaderEnd, width, height);
  if (code == "DXT3") return DecodeBlocks(ctx, Block::kBc2, kHeaderEnd, width, height);
  if (code == "DXT5") return DecodeBlocks(ctx, Block::kBc3, kHeaderEnd, width, height);
  if (code == "ATI1") return DecodeBlocks(ctx, Block::kBc4, kHeaderEnd, width, height);
  if (code == "ATI2") return DecodeBlocks(ctx, Block::kBc5, kHeaderEnd, width, height);
  if (code == "BC5S") return DecodeBlocks(ctx, Block::kBc5Signed, kHeaderEnd, width, height);
  if (code == "DX10") {
    if (bytes.size() < kDx10End) ctx.Fail("truncated DDS: the DX10 header extension is cut short");
    const uint32_t dxgi = U32(s + kHeaderEnd);
    switch (dxgi) {
      case 27:  // R8G8B8A8 typeless, unorm and sRGB (the gamma Pillow records changes no pixel)
      case 28:
      case 29:
        return DecodeRaw(ctx, "RGBA", kDx10End, width, height);
      case 82:  // BC5 typeless and unorm
      case 83:
        return DecodeBlocks(ctx, Block::kBc5, kDx10End, width, height);
      case 84:
        return DecodeBlocks(ctx, Block::kBc5Signed, kDx10End, width, height);
      case 95:  // BC6H unsigned and signed half floats
        return DecodeBlocks(ctx, Block::kBc6h, kDx10End, width, height);
      case 96:
        return DecodeBlocks(ctx, Block::kBc6hSigned, kDx10End, width, height);
      case 97:  // BC7 typeless, unorm and sRGB
      case 98:
      case 99:
        return DecodeBlocks(ctx, Block::kBc7, kDx10End, width, height);
      default:
        ctx.Fail("unsupported DDS DXGI format " + std::to_string(dxgi) + " (Pillow 9.4 does not read it either)",
                 ErrorKind::kUnsupported);
    }
  }
  ctx.Fail("unsupported DDS pixel format '" + FourCcText(fourcc) + "' (Pillow 9.4 reads DXT1, DXT3, DXT5, ATI1, ATI2, "
           "BC5S, DX10 and uncompressed L or RGB)",
           ErrorKind::kUnsupported);
}

}  // namespace vit::image
