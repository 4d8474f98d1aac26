#include "serve/encoding.h"

#include <array>
#include <charconv>
#include <cmath>

#include "vit/error.h"

namespace vit::serve {
namespace {

constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

constexpr std::array<int8_t, 256> MakeDecodeTable() {
  std::array<int8_t, 256> table{};
  for (auto& v : table) v = -1;
  for (int i = 0; i < 64; ++i) table[static_cast<uint8_t>(kAlphabet[i])] = static_cast<int8_t>(i);
  table['-'] = 62;  // URL-safe alphabet
  table['_'] = 63;
  return table;
}
constexpr std::array<int8_t, 256> kDecode = MakeDecodeTable();

bool IsSpace(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v'; }

std::string Printable(char c) {
  const auto u = static_cast<unsigned char>(c);
  if (u >= 0x20 && u < 0x7f) return std::string("'") + c + "'";
  static const char* hex = "0123456789abcdef";
  return std::string("byte 0x") + hex[u >> 4] + hex[u & 15];
}

}  // namespace

std::vector<uint8_t> Base64Decode(std::string_view text, const std::string& what) {
  std::vector<uint8_t> out;
  out.reserve(text.size() / 4 * 3 + 3);
  uint32_t bits = 0;
  int nbits = 0;
  size_t symbols = 0, padding = 0;
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (IsSpace(c)) continue;
    if (c == '=') {
      ++padding;
      continue;
    }
    const int8_t v = kDecode[static_cast<uint8_t>(c)];
    if (v < 0 || padding > 0)
      throw Error(what + ": invalid base64: " + (padding > 0 ? "data after '=' padding" : Printable(c)) +
                      " at offset " + std::to_string(i),
                  ErrorKind::kInvalidArgument);
    ++symbols;
    bits = (bits << 6) | static_cast<uint32_t>(v);
    nbits += 6;
    if (nbits >= 8) {
      nbits -= 8;
      out.push_back(static_cast<uint8_t>(bits >> nbits));
    }
  }
  if (symbols == 0) throw Error(what + ": empty base64 string", ErrorKind::kInvalidArgument);
  if (symbols % 4 == 1)
    throw Error(what + ": invalid base64: truncated (" + std::to_string(symbols) + " symbols)",
                ErrorKind::kInvalidArgument);
  if (padding > 0 && (symbols + padding) % 4 != 0)
    throw Error(what + ": invalid base64: wrong '=' padding", ErrorKind::kInvalidArgument);
  return out;
}

std::string Base64Encode(std::span<const uint8_t> bytes) {
  std::string out;
  out.reserve((bytes.size() + 2) / 3 * 4);
  size_t i = 0;
  for (; i + 3 <= bytes.size(); i += 3) {
    const uint32_t v = (uint32_t{bytes[i]} << 16) | (uint32_t{bytes[i + 1]} << 8) | bytes[i + 2];
    out += kAlphabet[v >> 18];
    out += kAlphabet[(v >> 12) & 63];
    out += kAlphabet[(v >> 6) & 63];
    out += kAlphabet[v & 63];
  }
  if (i < bytes.size()) {
    const bool two = i + 1 < bytes.size();
    const uint32_t v = (uint32_t{bytes[i]} << 16) | (two ? uint32_t{bytes[i + 1]} << 8 : 0);
    out += kAlphabet[v >> 18];
    out += kAlphabet[(v >> 12) & 63];
    out += two ? kAlphabet[(v >> 6) & 63] : '=';
    out += '=';
  }
  return out;
}

std::vector<uint8_t> DecodeImageString(std::string_view text, const std::string& what) {
  if (text.starts_with("data:")) {
    const size_t comma = text.find(',');
    if (comma == std::string_view::npos)
      throw Error(what + ": data URL without ',' before its data", ErrorKind::kInvalidArgument);
    const std::string_view meta = text.substr(5, comma - 5);
    if (!meta.ends_with(";base64"))
      throw Error(what + ": data URL must be base64-encoded (data:image/...;base64,...), got \"data:" +
                      std::string(meta.substr(0, 64)) + ",\"",
                  ErrorKind::kInvalidArgument);
    return Base64Decode(text.substr(comma + 1), what);
  }
  if (text.starts_with("http://") || text.starts_with("https://") || text.starts_with("file:"))
    throw Error(what + ": URLs are not fetched; send the image as base64 or a data: URL",
                ErrorKind::kInvalidArgument);
  return Base64Decode(text, what);
}

void AppendJsonFloats(std::string& out, std::span<const float> values) {
  out.reserve(out.size() + values.size() * 16 + 2);
  out += '[';
  char buffer[32];
  for (size_t i = 0; i < values.size(); ++i) {
    if (i) out += ',';
    if (!std::isfinite(values[i])) {
      out += "null";
      continue;
    }
    const auto result = std::to_chars(buffer, buffer + sizeof(buffer), values[i]);
    out.append(buffer, result.ptr);
  }
  out += ']';
}

}  // namespace vit::serve
