// Python's parsing of header text, for the plugins whose headers are text (XV thumbnails, IM Tools):
// int() of ASCII bytes, and split() on ASCII whitespace.
#pragma once

#include <algorithm>
#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

namespace vit::image {

inline bool IsPythonSpace(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f'; }

// int(b"..."): surrounding whitespace, a sign, then digits with single underscores between them.
// Magnitudes are capped at 2^40, past any size limit.
inline std::optional<int64_t> PythonInt(std::string_view s) {
  while (!s.empty() && IsPythonSpace(s.front())) s.remove_prefix(1);
  while (!s.empty() && IsPythonSpace(s.back())) s.remove_suffix(1);
  bool negative = false;
  if (!s.empty() && (s[0] == '+' || s[0] == '-')) {
    negative = s[0] == '-';
    s.remove_prefix(1);
  }
  if (s.empty() || s.front() == '_' || s.back() == '_') return std::nullopt;
  int64_t v = 0;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '_') {
      if (s[i - 1] == '_') return std::nullopt;
      continue;
    }
    if (s[i] < '0' || s[i] > '9') return std::nullopt;
    v = std::min<int64_t>(v * 10 + (s[i] - '0'), int64_t{1} << 40);
  }
  return negative ? -v : v;
}

// bytes.split(): the words between runs of whitespace.
inline std::vector<std::string_view> PythonSplit(std::string_view s) {
  std::vector<std::string_view> words;
  size_t i = 0;
  while (i < s.size()) {
    while (i < s.size() && IsPythonSpace(s[i])) ++i;
    const size_t start = i;
    while (i < s.size() && !IsPythonSpace(s[i])) ++i;
    if (i > start) words.push_back(s.substr(start, i - start));
  }
  return words;
}

// bytes.strip().
inline std::string_view PythonStrip(std::string_view s) {
  while (!s.empty() && IsPythonSpace(s.front())) s.remove_prefix(1);
  while (!s.empty() && IsPythonSpace(s.back())) s.remove_suffix(1);
  return s;
}

}  // namespace vit::image
