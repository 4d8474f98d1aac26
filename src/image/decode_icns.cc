// ICNS (Apple icon families) by hand, following Pillow 9.4's IcnsImagePlugin.
//
// The file is a list of blocks (type, length including the 8-byte block header) walked up to the length
// the file header claims; a later block of a type replaces an earlier one. Pillow opens the largest
// size it knows that the file has, as (width, height, scale) tuples compare, and runs every reader of
// that size: a PNG or JPEG 2000 payload (the picture, read from the block onwards, as our PNG and
// JPEG 2000 decoders read it), the 24-bit icon ("it32" after 4 zero bytes; uncompressed when its length
// is exactly width * height * 3, else each channel in PackBits-like runs that must end exactly at
// width * height bytes, reading on past the block's end where the runs do), and the 8-bit mask. Any
// reader's failure refuses the file; the picture is the payload where there is one, else the 24-bit
// icon (its mask only becomes alpha, which convert("RGB") drops). Icons carry no EXIF orientation.
#include <algorithm>
#include <array>
#include <cstring>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "image/decoders.h"

namespace vit::image {
namespace {

uint32_t U32(const uint8_t* p) {
  return (uint32_t{p[0]} << 24) | (uint32_t{p[1]} << 16) | (uint32_t{p[2]} << 8) | uint32_t{p[3]};
}

enum class Reader { kPayload, kRgb, kRgbAfterZeros, kMask };

struct Size {
  int width, height, scale;
  std::array<std::pair<const char*, Reader>, 3> readers;
};

// IcnsFile.SIZES, largest first.
constexpr std::pair<const char*, Reader> kNone{nullptr, Reader::kPayload};
constexpr Size kSizes[] = {
    {512, 512, 2, {{{"ic10", Reader::kPayload}, kNone, kNone}}},
    {512, 512, 1, {{{"ic09", Reader::kPayload}, kNone, kNone}}},
    {256, 256, 2, {{{"ic14", Reader::kPayload}, kNone, kNone}}},
    {256, 256, 1, {{{"ic08", Reader::kPayload}, kNone, kNone}}},
    {128, 128, 2, {{{"ic13", Reader::kPayload}, kNone, kNone}}},
    {128, 128, 1, {{{"ic07", Reader::kPayload}, {"it32", Reader::kRgbAfterZeros}, {"t8mk", Reader::kMask}}}},
    {64, 64, 1, {{{"icp6", Reader::kPayload}, kNone, kNone}}},
    {48, 48, 1, {{{"ih32", Reader::kRgb}, {"h8mk", Reader::kMask}, kNone}}},
    {32, 32, 2, {{{"ic12", Reader::kPayload}, kNone, kNone}}},
    {32, 32, 1, {{{"icp5", Reader::kPayload}, {"il32", Reader::kRgb}, {"l8mk", Reader::kMask}}}},
    {16, 16, 2, {{{"ic11", Reader::kPayload}, kNone, kNone}}},
    {16, 16, 1, {{{"icp4", Reader::kPayload}, {"is32", Reader::kRgb}, {"s8mk", Reader::kMask}}}},
};

struct Block {
  uint64_t start;  // after the block header
  int64_t length;  // the block's length less its header (negative for a block shorter than its header)
};

class IcnsReader {
 public:
  explicit IcnsReader(const DecodeContext& ctx) : ctx_(ctx), bytes_(ctx.bytes()) {}

  Decoded Decode() {
    ReadBlocks();
    const Size* best = nullptr;
    for (const Size& size : kSizes) {
      if (Has(size) && best == nullptr) best = &size;
    }
    if (best == nullptr) ctx_.Fail("ICNS file without a 24-bit, PNG or JPEG 2000 icon (Pillow: No 32bit icon resources found)");
    const int64_t side = int64_t{best->width} * best->scale;
    std::optional<Decoded> payload;
    Decoded rgb;
    for (const auto& [type, reader] : best->readers) {
      if (type == nullptr) continue;
      const auto found = blocks_.find(type);
      if (found == blocks_.end()) continue;
      const Block& block = found->second;
      const std::string where = std::string("ICNS '") + type + "' icon";
      switch (reader) {
        case Reader::kPayload:
          payload = Payload(block, where);
          break;
        case Reader::kRgbAfterZeros: {
          if (block.start > bytes_.size() || bytes_.size() - block.start < 4 || U32(&bytes_[block.start]) != 0) {
            ctx_.Fail(where + " does not start with 4 zero bytes");
          }
          rgb = Rgb({block.start + 4, block.length - 4}, side, where);
          break;
        }
        case Reader::kRgb:
          rgb = Rgb(block, side, where);
          break;
        case Reader::kMask:
          if (block.start > bytes_.size() || bytes_.size() - block.start < static_cast<uint64_t>(side * side)) {
            ctx_.Fail(where + " is cut short: its mask needs " + std::to_string(side * side) + " bytes");
          }
          break;
      }
    }
    if (!payload.has_value()) return rgb;
    // IcnsImageFile.load sets its size to the payload's, which must be one the file lists: a size with
    // scale 1, or any size's width and height times its scale.
    const Image& image = payload->image;
    for (const Size& size : kSizes) {
      if (!Has(size)) continue;
      if ((size.scale == 1 && size.width == image.width && size.height == image.height) ||
          (size.width * size.scale == image.width && size.height * size.scale == image.height)) {
        return std::move(*payload);
      }
    }
    ctx_.Fail("ICNS icon's payload is " + std::to_string(image.width) + "x" + std::to_string(image.height) +
              ", none of the sizes the file lists (Pillow: This is not one of the allowed sizes of this image)");
  }

 private:
  bool Has(const Size& size) const {
    for (const auto& [type, reader] : size.readers) {
      if (type != nullptr && blocks_.count(type) != 0) return true;
    }
    return false;
  }

  void ReadBlocks() {
    if (bytes_.size() < 8) ctx_.Fail("ICNS file shorter than its 8-byte header");
    const uint64_t file_size = U32(&bytes_[4]);
    // Pillow's walk: `at` and its file position move together, by a block's claimed length (which may
    // move back: a length under 8 moves back by the difference), until `at` reaches the claimed size.
    uint64_t at = 8;
    while (at < file_size) {
      if (at > bytes_.size() || bytes_.size() - at < 8) ctx_.Fail("ICNS file cut short inside its block list");
      const uint32_t length = U32(&bytes_[at + 4]);
      if (length == 0) ctx_.Fail("ICNS block of length 0 (Pillow: invalid block header)");
      const std::string type(reinterpret_cast<const char*>(&bytes_[at]), 4);
      at += 8;
      blocks_[type] = Block{at, int64_t{length} - 8};
      at = at + length - 8;
    }
  }

  Decoded Payload(const Block& block, const std::string& where) const {
    if (block.start > bytes_.size()) ctx_.Fail(where + " lies past the end of the file");
    const auto rest = bytes_.subspan(block.start);
    using namespace std::string_view_literals;
    const auto starts = [&](std::string_view sig) {
      return rest.size() >= sig.size() && std::memcmp(rest.data(), sig.data(), sig.size()) == 0;
    };
    if (starts("\x89PNG\r\n\x1a\n"sv)) {
      // Pillow reads the PNG from the file from the block onwards.
      return DecodePng(DecodeContext(rest, ctx_.name(), false));
    }
    if (starts("\xff\x4f\xff\x51"sv) || starts("\r\n\x87\n"sv) || starts("\0\0\0\x0cjP  \r\n\x87\n"sv)) {
      // ... and the JPEG 2000 stream from the block's bytes alone.
      const size_t n = block.length < 0 ? rest.size() : std::min<size_t>(rest.size(), static_cast<size_t>(block.length));
      return DecodeJpeg2000(DecodeContext(rest.first(n), ctx_.name(), false));
    }
    ctx_.Fail(where + " is neither PNG nor JPEG 2000 (Pillow: Unsupported icon subimage format)",
              ErrorKind::kUnsupported);
  }

  // read_32: three channels, uncompressed or in runs.
  Decoded Rgb(const Block& block, int64_t side, const std::string& where) const {
    const size_t pixels = static_cast<size_t>(side * side);
    Decoded decoded;
    decoded.image = AllocateImage(ctx_, side, side);
    std::vector<uint8_t>& out = decoded.image.rgb;
    if (block.length == static_cast<int64_t>(pixels * 3)) {
      if (block.start > bytes_.size() || bytes_.size() - block.start < pixels * 3) {
        ctx_.Fail(where + " is cut short: it needs " + std::to_string(pixels * 3) + " bytes");
      }
      std::memcpy(out.data(), &bytes_[block.start], pixels * 3);
      return decoded;
    }
    uint64_t at = block.start;
    for (int band = 0; band < 3; ++band) {
      int64_t left = static_cast<int64_t>(pixels);
      size_t written = 0;
      while (left > 0 && at < bytes_.size()) {
        const uint8_t b = bytes_[at++];
        int64_t count;
        if ((b & 0x80) != 0) {
          count = b - 125;
          if (at < bytes_.size()) {
            const uint8_t v = bytes_[at++];
            for (int64_t i = 0; i < count && written < pixels; ++i) out[3 * written++ + band] = v;
          }
        } else {
          count = b + 1;
          const size_t n = std::min<size_t>(static_cast<size_t>(count), bytes_.size() - at);
          for (size_t i = 0; i < n && written < pixels; ++i) out[3 * written++ + band] = bytes_[at + i];
          at += n;
        }
        left -= count;
      }
      if (left != 0) {
        ctx_.Fail(where + ": channel " + std::to_string(band) + " runs " + (left > 0 ? "short of" : "past") + " its " +
                  std::to_string(pixels) + " bytes");
      }
      if (written != pixels) ctx_.Fail(where + ": the file ends inside channel " + std::to_string(band));
    }
    return decoded;
  }

  const DecodeContext& ctx_;
  std::span<const uint8_t> bytes_;
  std::map<std::string, Block> blocks_;
};

}  // namespace

Decoded DecodeIcns(const DecodeContext& ctx) { return IcnsReader(ctx).Decode(); }

}  // namespace vit::image
