// PBM/PGM/PPM (P1 to P6) by hand, following Pillow 9.4's PpmImagePlugin step for step, since its
// quirks decide the pixels and which files open:
//  - the header is read token by token; a '#' comment runs to CR or LF and may sit inside a token;
//  - binary files with maxval 255 (or 65535 for grey) are raw rows; other maxvals are scaled with
//    Python's round() (ties to even) to 255, or to 65535 for grey above 255 (mode "I", which
//    convert("RGB") then clips to 255), a sample above maxval clamped;
//  - plain (ASCII) files are read in blocks of ImageFile.SAFEBLOCK bytes: comments are cut out of each
//    block with the line end that closes them, so digits either side join; a block's last token is
//    held over to the next, and at the end of the file the held token is reused until the picture is
//    full (a file cut short after a token without a trailing newline still opens);
//  - a plain bitmap (P1) needs '0' or '1' for every byte that is not whitespace, up to the block where
//    the picture fills.
// PAM (P7) and Pillow's private P0CMYK/Py* variants are not read.
#include <cmath>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

#include "image/decoders.h"
#include "image/pil_convert.h"

namespace vit::image {
namespace {

constexpr size_t kSafeBlock = 1024 * 1024;  // ImageFile.SAFEBLOCK

bool IsWhitespace(uint8_t c) { return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r'; }

class Stream {
 public:
  explicit Stream(std::span<const uint8_t> bytes, size_t at = 0) : bytes_(bytes), at_(at) {}
  // fp.read(1): -1 at the end.
  int Get() { return at_ < bytes_.size() ? bytes_[at_++] : -1; }
  std::string Read(size_t n) {
    const size_t got = std::min(n, bytes_.size() - at_);
    std::string s(reinterpret_cast<const char*>(bytes_.data() + at_), got);
    at_ += got;
    return s;
  }
  size_t tell() const { return at_; }
  size_t left() const { return bytes_.size() - at_; }

 private:
  std::span<const uint8_t> bytes_;
  size_t at_;
};

// Python's int() on a token of at most 10 bytes: an optional sign, digits, single underscores between
// digits. False when int() would raise.
bool ParseInt(std::string_view token, int64_t& value) {
  size_t i = 0;
  bool negative = false;
  if (i < token.size() && (token[i] == '+' || token[i] == '-')) negative = token[i++] == '-';
  if (i == token.size()) return false;
  int64_t v = 0;
  bool last_digit = false;
  for (; i < token.size(); ++i) {
    const char c = token[i];
    if (c >= '0' && c <= '9') {
      v = v * 10 + (c - '0');
      last_digit = true;
    } else if (c == '_' && last_digit && i + 1 < token.size()) {
      last_digit = false;
    } else {
      return false;
    }
  }
  if (!last_digit) return false;
  value = negative ? -v : v;
  return true;
}

// PpmImageFile._read_token.
int64_t ReadHeaderToken(const DecodeContext& ctx, Stream& fp, const char* what) {
  std::string token;
  while (token.size() <= 10) {
    const int c = fp.Get();
    if (c < 0) break;
    if (IsWhitespace(static_cast<uint8_t>(c))) {
      if (token.empty()) continue;
      break;
    }
    if (c == '#') {
      for (int d = fp.Get(); d >= 0 && d != '\r' && d != '\n'; d = fp.Get()) {
      }
      continue;
    }
    token += static_cast<char>(c);
  }
  if (token.empty()) ctx.Fail(std::string("truncated PNM: the file ends before its ") + what);
  if (token.size() > 10) ctx.Fail(std::string("PNM ") + what + " is more than 10 characters long");
  int64_t value = 0;
  if (!ParseInt(token, value)) ctx.Fail(std::string("PNM ") + what + " is not a number");
  return value;
}

// Python's round(value / maxval * out_max).
int64_t Scale(int64_t value, int64_t maxval, int64_t out_max) {
  return static_cast<int64_t>(std::nearbyint(static_cast<double>(value) / static_cast<double>(maxval) *
                                             static_cast<double>(out_max)));
}

// A comment's end in PpmPlainDecoder._find_comment_end: the lower of the next LF and CR, except that a
// line end at index 0 loses to a later one of the other kind (the product test in Pillow).
int64_t FindCommentEnd(const std::string& block, size_t start) {
  const size_t fa = block.find('\n', start), fb = block.find('\r', start);
  const int64_t a = fa == std::string::npos ? -1 : static_cast<int64_t>(fa);
  const int64_t b = fb == std::string::npos ? -1 : static_cast<int64_t>(fb);
  return a * b > 0 ? std::min(a, b) : std::max(a, b);
}

// PpmPlainDecoder: the block reader and its comment removal.
class PlainReader {
 public:
  explicit PlainReader(Stream& fp) : fp_(fp) {}
  std::string ReadBlock() { return fp_.Read(kSafeBlock); }

  std::string IgnoreComments(std::string block) {
    if (comment_spans_) {
      while (!block.empty()) {
        const int64_t end = FindCommentEnd(block, 0);
        if (end != -1) {
          block.erase(0, static_cast<size_t>(end) + 1);
          break;
        }
        block = ReadBlock();
      }
    }
    comment_spans_ = false;
    std::string out;
    out.reserve(block.size());
    size_t i = 0;
    while (i < block.size()) {
      const size_t hash = block.find('#', i);
      if (hash == std::string::npos) {
        out.append(block, i, std::string::npos);
        break;
      }
      out.append(block, i, hash - i);
      const int64_t end = FindCommentEnd(block, hash);
      if (end == -1) {
        comment_spans_ = true;
        break;
      }
      i = static_cast<size_t>(end) + 1;
    }
    return out;
  }

 private:
  Stream& fp_;
  bool comment_spans_ = false;
};

std::vector<std::string_view> Split(const std::string& block) {
  std::vector<std::string_view> tokens;
  size_t i = 0;
  while (i < block.size()) {
    while (i < block.size() && IsWhitespace(static_cast<uint8_t>(block[i]))) ++i;
    const size_t start = i;
    while (i < block.size() && !IsWhitespace(static_cast<uint8_t>(block[i]))) ++i;
    if (i > start) tokens.emplace_back(block.data() + start, i - start);
  }
  return tokens;
}

// PpmPlainDecoder._decode_bitonal: one byte per pixel, 255 for '0' and 0 for '1'.
std::vector<uint8_t> DecodePlainBitmap(const DecodeContext& ctx, Stream& fp, size_t total) {
  PlainReader reader(fp);
  std::vector<uint8_t> data;
  data.reserve(std::min(total, fp.left()));
  while (data.size() != total) {
    std::string block = reader.ReadBlock();
    if (block.empty()) break;
    block = reader.IgnoreComments(std::move(block));
    for (const char c : block) {
      if (IsWhitespace(static_cast<uint8_t>(c))) continue;
      if (c != '0' && c != '1') ctx.Fail("plain PBM data holds a byte other than 0 or 1");
      if (data.size() < total) data.push_back(c == '0' ? 255 : 0);
    }
  }
  if (data.size() != total) ctx.Fail("truncated PBM: the file ends before the last pixel");
  return data;
}

// PpmPlainDecoder._decode_blocks: `total` samples scaled to out_max (255, or 65535 for mode "I"). The
// values are checked against the file's bytes as they come; only the held-over token at the end of the
// file can fill the rest, and the picture's size is bounded by the decompression-bomb check.
std::vector<uint16_t> DecodePlainSamples(const DecodeContext& ctx, Stream& fp, size_t total, int64_t maxval,
                                         bool mode_i) {
  const int64_t out_max = mode_i ? 65535 : 255;
  PlainReader reader(fp);
  std::vector<uint16_t> data;
  data.reserve(std::min(total, fp.left() / 2 + 1));
  std::string half_token;
  // At the end of the file Pillow stitches the held token to " " again on every pass, one sample a
  // pass, until the picture is full. Two such passes that give one equal sample each mean every later
  // pass gives it too, so the rest is filled at once instead of token by token (a 35-byte plain PGM
  // can claim 82 million samples).
  int end_passes = 0;
  size_t before_pass = 0;
  while (data.size() != total) {
    std::string block = reader.ReadBlock();
    if (block.empty()) {
      if (half_token.empty()) break;
      const bool one_each = data.size() == before_pass + 1 && data.size() >= 2 && data.back() == data[data.size() - 2];
      if (end_passes >= 2 && one_each) {
        data.resize(total, data.back());
        break;
      }
      ++end_passes;
      before_pass = data.size();
      block = " ";
    }
    block = reader.IgnoreComments(std::move(block));
    if (!half_token.empty()) block = half_token + block;
    std::vector<std::string_view> tokens = Split(block);
    std::string held;
    if (!block.empty() && !IsWhitespace(static_cast<uint8_t>(block.back()))) {
      held = std::string(tokens.back());
      tokens.pop_back();
      if (held.size() > 10) ctx.Fail("PNM data token is more than 10 characters long");
      half_token = std::move(held);
    }
    for (const std::string_view token : tokens) {
      if (token.size() > 10) ctx.Fail("PNM data token is more than 10 characters long");
      int64_t value = 0;
      if (!ParseInt(token, value)) ctx.Fail("PNM data holds a token that is not a number");
      if (value > maxval) ctx.Fail("PNM sample " + std::to_string(value) + " is over maxval " + std::to_string(maxval));
      value = Scale(value, maxval, out_max);
      if (mode_i && value < 0) ctx.Fail("PNM sample is negative");
      data.push_back(static_cast<uint16_t>(value & (mode_i ? 0xFFFF : 0xFF)));
      if (data.size() == total) break;
    }
  }
  if (data.size() != total) ctx.Fail("truncated PNM: the file ends before the last sample");
  return data;
}

}  // namespace

Decoded DecodePnm(const DecodeContext& ctx) {
  const auto bytes = ctx.bytes();
  Stream fp(bytes);
  std::string magic;
  for (int i = 0; i < 6; ++i) {
    const int c = fp.Get();
    if (c < 0 || IsWhitespace(static_cast<uint8_t>(c))) break;
    magic += static_cast<char>(c);
  }
  if (magic.size() != 2 || magic[0] != 'P' || magic[1] < '1' || magic[1] > '6') {
    for (char& c : magic) {
      if (c < 0x20 || c > 0x7E) c = '?';  // the message stays printable text
    }
    ctx.Fail("unsupported PNM variant \"" + magic + "\" (P1 to P6 are read)", ErrorKind::kUnsupported);
  }
  const int kind = magic[1] - '0';
  const bool plain = kind <= 3;
  const bool bitmap = kind == 1 || kind == 4;
  const int bands = kind == 3 || kind == 6 ? 3 : 1;

  const int64_t width = ReadHeaderToken(ctx, fp, "width");
  const int64_t height = ReadHeaderToken(ctx, fp, "height");
  int64_t maxval = 1;
  if (!bitmap) {
    maxval = ReadHeaderToken(ctx, fp, "maxval");
    if (maxval <= 0 || maxval >= 65536) ctx.Fail("PNM maxval " + std::to_string(maxval) + " is not in 1..65535");
  }
  const bool mode_i = bands == 1 && !bitmap && maxval > 255;
  ctx.CheckSize(width, height);
  const auto w = static_cast<size_t>(width);
  const auto h = static_cast<size_t>(height);
  const size_t total = w * h * static_cast<size_t>(bands);

  Decoded decoded;
  if (plain) {
    if (bitmap) {
      const std::vector<uint8_t> data = DecodePlainBitmap(ctx, fp, total);
      decoded.image = AllocateImage(ctx, width, height);
      GrayRowToRgb(data.data(), total, decoded.image.rgb.data());
      return decoded;
    }
    const std::vector<uint16_t> data = DecodePlainSamples(ctx, fp, total, maxval, mode_i);
    decoded.image = AllocateImage(ctx, width, height);
    uint8_t* out = decoded.image.rgb.data();
    for (size_t i = 0; i < w * h; ++i) {
      for (int c = 0; c < 3; ++c) {
        const uint16_t v = data[i * bands + (bands == 3 ? c : 0)];
        out[3 * i + c] = static_cast<uint8_t>(v > 255 ? 255 : v);
      }
    }
    return decoded;
  }

  // Binary: rows straight from the file (raw) or sample by sample (PpmDecoder).
  const size_t in_bytes = bitmap ? 0 : (maxval < 256 ? 1 : 2);
  const size_t row_bytes = bitmap ? (w + 7) / 8 : w * static_cast<size_t>(bands) * in_bytes;
  if (fp.left() / row_bytes < h) ctx.Fail("truncated PNM: the pixel data ends before the last row");
  decoded.image = AllocateImage(ctx, width, height);
  const uint8_t* in = bytes.data() + fp.tell();
  uint8_t* out = decoded.image.rgb.data();
  const bool raw = maxval == 255 || (mode_i && maxval == 65535);
  const int64_t out_max = mode_i ? 65535 : 255;
  for (size_t y = 0; y < h; ++y, in += row_bytes, out += 3 * w) {
    if (bitmap) {
      for (size_t x = 0; x < w; ++x) {
        out[3 * x] = out[3 * x + 1] = out[3 * x + 2] = ((in[x >> 3] >> (7 - (x & 7))) & 1) != 0 ? 0 : 255;
      }
    } else if (raw && mode_i) {
      Gray16BigEndianRowToRgb(in, w, out);
    } else if (raw) {
      if (bands == 3) {
        std::memcpy(out, in, 3 * w);
      } else {
        GrayRowToRgb(in, w, out);
      }
    } else {
      for (size_t x = 0; x < w; ++x) {
        for (int c = 0; c < 3; ++c) {
          const size_t s = x * static_cast<size_t>(bands) + static_cast<size_t>(bands == 3 ? c : 0);
          const int64_t v = in_bytes == 1 ? in[s] : (int64_t{in[2 * s]} << 8) | in[2 * s + 1];
          const int64_t scaled = std::min(out_max, Scale(v, maxval, out_max));
          out[3 * x + c] = static_cast<uint8_t>(scaled > 255 ? 255 : scaled);
        }
      }
    }
  }
  return decoded;
}

}  // namespace vit::image
