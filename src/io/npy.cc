#include "io/npy.h"

#include <algorithm>
#include <bit>
#include <cerrno>
#include <cstring>
#include <limits>
#include <string>
#include <string_view>

#include "io/mapped_file.h"
#include "io/npy_parse.h"
#include "vit/error.h"

namespace vit::io {
namespace {

constexpr char kMagic[] = "\x93NUMPY";
constexpr size_t kMagicBytes = 6;

// A tiny reader for the Python dict literal numpy writes:
// {'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }
class HeaderReader {
 public:
  HeaderReader(std::string_view text, const std::string& where) : text_(text), where_(where) {}

  NpyHeader Read() {
    NpyHeader header;
    bool has_descr = false, has_order = false, has_shape = false;
    Expect('{');
    while (true) {
      SkipSpaces();
      if (Peek() == '}') {
        ++pos_;
        break;
      }
      std::string key = ReadString();
      Expect(':');
      if (key == "descr") {
        if (has_descr) Fail("'descr' appears twice");
        header.descr = ReadString();
        has_descr = true;
      } else if (key == "fortran_order") {
        if (has_order) Fail("'fortran_order' appears twice");
        header.fortran_order = ReadBool();
        has_order = true;
      } else if (key == "shape") {
        if (has_shape) Fail("'shape' appears twice");
        header.shape = ReadShape();
        has_shape = true;
      } else {
        Fail("unexpected key '" + key + "'");
      }
      SkipSpaces();
      if (Peek() == ',') {
        ++pos_;
      } else if (Peek() != '}') {
        Fail("expected ',' or '}'");
      }
    }
    SkipSpaces();
    if (pos_ != text_.size()) Fail("unexpected text after the header dict");
    if (!has_descr || !has_order || !has_shape) Fail("expected keys 'descr', 'fortran_order' and 'shape'");
    return header;
  }

 private:
  [[noreturn]] void Fail(const std::string& what) const {
    throw Error(where_ + ": bad .npy header (" + what + " at byte " + std::to_string(pos_) + " of \"" +
                std::string(text_) + "\")");
  }
  char Peek() const { return pos_ < text_.size() ? text_[pos_] : '\0'; }
  void SkipSpaces() {
    while (pos_ < text_.size() && (text_[pos_] == ' ' || text_[pos_] == '\n' || text_[pos_] == '\t')) ++pos_;
  }
  void Expect(char c) {
    SkipSpaces();
    if (Peek() != c) Fail(std::string("expected '") + c + "'");
    ++pos_;
  }
  std::string ReadString() {
    SkipSpaces();
    char quote = Peek();
    if (quote != '\'' && quote != '"') Fail("expected a quoted string");
    size_t end = text_.find(quote, pos_ + 1);
    if (end == std::string_view::npos) Fail("unterminated string");
    std::string s(text_.substr(pos_ + 1, end - pos_ - 1));
    pos_ = end + 1;
    return s;
  }
  bool ReadBool() {
    SkipSpaces();
    if (text_.substr(pos_, 4) == "True") {
      pos_ += 4;
      return true;
    }
    if (text_.substr(pos_, 5) == "False") {
      pos_ += 5;
      return false;
    }
    Fail("expected True or False");
  }
  std::vector<int64_t> ReadShape() {
    std::vector<int64_t> shape;
    Expect('(');
    while (true) {
      SkipSpaces();
      if (Peek() == ')') {
        ++pos_;
        return shape;
      }
      if (Peek() < '0' || Peek() > '9') Fail("expected a non-negative dimension");
      uint64_t value = 0;
      while (Peek() >= '0' && Peek() <= '9') {
        if (__builtin_mul_overflow(value, 10u, &value) ||
            __builtin_add_overflow(value, static_cast<uint64_t>(Peek() - '0'), &value) ||
            value > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) {
          Fail("dimension too large");
        }
        ++pos_;
      }
      // numpy writes 'L' suffixes in old Python 2 files.
      if (Peek() == 'L') ++pos_;
      shape.push_back(static_cast<int64_t>(value));
      SkipSpaces();
      if (Peek() == ',') {
        ++pos_;
      } else if (Peek() != ')') {
        Fail("expected ',' or ')' in shape");
      }
    }
  }

  std::string_view text_;
  std::string where_;
  size_t pos_ = 0;
};

std::string ShapeTuple(const std::vector<int64_t>& shape) {
  std::string s = "(";
  for (size_t i = 0; i < shape.size(); ++i) s += std::to_string(shape[i]) + (i + 1 < shape.size() ? ", " : "");
  if (shape.size() == 1) s += ",";
  return s + ")";
}

uint64_t CheckedNumel(const std::vector<int64_t>& shape, const std::string& where) {
  uint64_t n = 1;
  for (int64_t d : shape) {
    if (d < 0 || __builtin_mul_overflow(n, static_cast<uint64_t>(d), &n) ||
        n > static_cast<uint64_t>(std::numeric_limits<int64_t>::max()) / 8) {
      throw Error(where + ": shape " + ShapeTuple(shape) + " is too large or negative", ErrorKind::kInvalidArgument);
    }
  }
  return n;
}

void WriteAll(std::FILE* f, const void* data, size_t bytes, const std::filesystem::path& path) {
  if (bytes > 0 && std::fwrite(data, 1, bytes, f) != bytes) {
    throw Error("cannot write " + path.string() + ": " + std::strerror(errno), ErrorKind::kIo);
  }
}

}  // namespace

std::string EncodeNpyPreamble(const std::vector<int64_t>& shape, size_t min_total) {
  std::string dict = "{'descr': '<f4', 'fortran_order': False, 'shape': " + ShapeTuple(shape) + ", }";
  const size_t needed = dict.size() + 1;  // the dict and its newline
  auto total_for = [&](size_t prefix) { return std::max((prefix + needed + 63) / 64 * 64, min_total); };
  size_t prefix = kMagicBytes + 2 + 2;  // version 1.0: 2-byte header length
  size_t total = total_for(prefix);
  if (total - prefix > 0xffff) {
    prefix = kMagicBytes + 2 + 4;  // version 2.0: 4-byte header length
    total = total_for(prefix);
  }
  const size_t header_len = total - prefix;
  std::string out(kMagic, kMagicBytes);
  out += static_cast<char>(prefix == 10 ? 1 : 2);
  out += '\0';
  for (size_t i = 0; i < prefix - kMagicBytes - 2; ++i) out += static_cast<char>((header_len >> (8 * i)) & 0xff);
  out += dict;
  out.append(header_len - dict.size() - 1, ' ');
  out += '\n';
  return out;
}

NpyHeader ParseNpyHeader(std::span<const std::byte> bytes, const std::string& where) {
  if (bytes.size() < kMagicBytes + 4 || std::memcmp(bytes.data(), kMagic, kMagicBytes) != 0) {
    throw Error(where + ": not a .npy file (no \\x93NUMPY magic)");
  }
  const auto major = static_cast<uint8_t>(bytes[6]);
  const auto minor = static_cast<uint8_t>(bytes[7]);
  if (major < 1 || major > 3 || minor != 0) {
    throw Error(where + ": .npy format version " + std::to_string(major) + "." + std::to_string(minor) +
                    " is not supported (expected 1.0, 2.0 or 3.0)",
                ErrorKind::kUnsupported);
  }
  const size_t length_bytes = major == 1 ? 2 : 4;
  const size_t prefix = kMagicBytes + 2 + length_bytes;
  if (bytes.size() < prefix) throw Error(where + ": .npy file truncated inside its header length");
  uint64_t header_len = 0;
  for (size_t i = 0; i < length_bytes; ++i) header_len |= static_cast<uint64_t>(bytes[8 + i]) << (8 * i);
  if (header_len > bytes.size() - prefix) {
    throw Error(where + ": .npy header length " + std::to_string(header_len) + " runs past the end of the " +
                std::to_string(bytes.size()) + "-byte file");
  }
  std::string_view text(reinterpret_cast<const char*>(bytes.data() + prefix), header_len);
  NpyHeader header = HeaderReader(text, where).Read();
  header.data_offset = prefix + header_len;
  return header;
}

NpyArray ParseNpy(std::span<const std::byte> bytes, const std::string& where) {
  NpyHeader header = ParseNpyHeader(bytes, where);
  size_t item_bytes;
  if (header.descr == "<f4") {
    item_bytes = 4;
  } else if (header.descr == "<f8") {
    item_bytes = 8;
  } else {
    throw Error(where + ": .npy dtype '" + header.descr + "' is not supported (expected '<f4' or '<f8')",
                ErrorKind::kUnsupported);
  }
  if (header.fortran_order) {
    throw Error(where + ": .npy array is in Fortran order; save it with np.ascontiguousarray first",
                ErrorKind::kUnsupported);
  }
  const uint64_t numel = CheckedNumel(header.shape, where);
  const uint64_t data_bytes = numel * item_bytes;
  const uint64_t available = bytes.size() - header.data_offset;
  if (available != data_bytes) {
    throw Error(where + ": .npy data is " + std::to_string(available) + " bytes, shape " +
                ShapeTuple(header.shape) + " of '" + header.descr + "' needs " + std::to_string(data_bytes) +
                (available < data_bytes ? " (truncated)" : " (trailing bytes)"));
  }
  NpyArray array;
  array.shape = header.shape;
  array.data.resize(numel);
  const std::byte* src = bytes.data() + header.data_offset;
  if (item_bytes == 4) {
    if (numel > 0) std::memcpy(array.data.data(), src, data_bytes);
  } else {
    for (uint64_t i = 0; i < numel; ++i) {
      double v;
      std::memcpy(&v, src + 8 * i, 8);
      array.data[i] = static_cast<float>(v);
    }
  }
  return array;
}

NpyHeader ReadNpyHeader(const std::filesystem::path& path) {
  const std::string where = path.string();
  MappedFile file(path);  // regular files only
  NpyHeader header = ParseNpyHeader(file.bytes(), where);
  // Bytes per item from the dtype string ('<f4', '|u1', ...).
  size_t digits = header.descr.size();
  while (digits > 0 && header.descr[digits - 1] >= '0' && header.descr[digits - 1] <= '9') --digits;
  const std::string width = header.descr.substr(digits);
  if (width.empty() || width.size() > 2 || digits == 0) {
    throw Error(where + ": .npy dtype '" + header.descr + "' is not supported", ErrorKind::kUnsupported);
  }
  const uint64_t item_bytes = std::stoul(width);
  const uint64_t numel = CheckedNumel(header.shape, where);
  uint64_t data_bytes = 0;
  const uint64_t available = file.size() - header.data_offset;
  if (__builtin_mul_overflow(numel, item_bytes, &data_bytes) || data_bytes > available) {
    throw Error(where + ": .npy data is truncated: shape " + ShapeTuple(header.shape) + " of '" + header.descr +
                "' needs " + std::to_string(numel) + " items of " + std::to_string(item_bytes) +
                " bytes, the file holds " + std::to_string(available) + " bytes after its header");
  }
  return header;
}

NpyArray ReadNpy(const std::filesystem::path& path) {
  MappedFile file(path);
  return ParseNpy(file.bytes(), path.string());
}

void WriteNpy(const std::filesystem::path& path, const std::vector<int64_t>& shape, const float* data) {
  static_assert(std::endian::native == std::endian::little, "'<f4' is written straight from memory");
  const uint64_t numel = CheckedNumel(shape, path.string());
  const std::string preamble = EncodeNpyPreamble(shape);
  std::FILE* f = std::fopen(path.c_str(), "wb");
  if (f == nullptr) throw Error("cannot create " + path.string() + ": " + std::strerror(errno), ErrorKind::kIo);
  try {
    WriteAll(f, preamble.data(), preamble.size(), path);
    WriteAll(f, data, numel * sizeof(float), path);
  } catch (...) {
    std::fclose(f);
    throw;
  }
  if (std::fclose(f) != 0) throw Error("cannot write " + path.string() + ": " + std::strerror(errno), ErrorKind::kIo);
}

}  // namespace vit::io
