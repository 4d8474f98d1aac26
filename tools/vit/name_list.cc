#include "name_list.h"

#include <cstdio>

#include "vit/error.h"

namespace vit::tool {
namespace {

bool NeedsQuoting(std::string_view name) {
  if (!name.empty() && name.front() == '"') return true;
  for (unsigned char c : name)
    if (c < 0x20 || c == 0x7f) return true;
  return false;
}

void AppendUtf8(std::string& out, unsigned code) {
  if (code < 0x80) {
    out += static_cast<char>(code);
  } else if (code < 0x800) {
    out += static_cast<char>(0xC0 | (code >> 6));
    out += static_cast<char>(0x80 | (code & 0x3F));
  } else {
    out += static_cast<char>(0xE0 | (code >> 12));
    out += static_cast<char>(0x80 | ((code >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (code & 0x3F));
  }
}

}  // namespace

std::string NameLine(std::string_view name) {
  if (!NeedsQuoting(name)) return std::string(name);
  std::string line = "\"";
  for (unsigned char c : name) {
    switch (c) {
      case '"': line += "\\\""; break;
      case '\\': line += "\\\\"; break;
      case '\n': line += "\\n"; break;
      case '\r': line += "\\r"; break;
      case '\t': line += "\\t"; break;
      default:
        if (c < 0x20 || c == 0x7f) {
          char escape[8];
          std::snprintf(escape, sizeof escape, "\\u%04x", c);
          line += escape;
        } else {
          line += static_cast<char>(c);  // bytes of UTF-8 (or any other encoding) pass as they are
        }
    }
  }
  return line + "\"";
}

std::string NameFromLine(std::string_view line, const std::string& where) {
  if (line.empty() || line.front() != '"') return std::string(line);
  auto bad = [&](const char* why) {
    return Error(where + ": a quoted name must be a JSON string literal (" + why + ")", ErrorKind::kInvalidInput);
  };
  if (line.size() < 2 || line.back() != '"') throw bad("no closing quote");
  std::string name;
  for (size_t i = 1; i + 1 < line.size(); ++i) {
    const char c = line[i];
    if (c == '"') throw bad("an unescaped quote inside");
    if (c != '\\') {
      name += c;
      continue;
    }
    if (++i + 1 >= line.size()) throw bad("a lone backslash at the end");
    switch (line[i]) {
      case '"': name += '"'; break;
      case '\\': name += '\\'; break;
      case '/': name += '/'; break;
      case 'b': name += '\b'; break;
      case 'f': name += '\f'; break;
      case 'n': name += '\n'; break;
      case 'r': name += '\r'; break;
      case 't': name += '\t'; break;
      case 'u': {
        if (i + 4 >= line.size()) throw bad("a short \\u escape");
        unsigned code = 0;
        for (int k = 1; k <= 4; ++k) {
          const char h = line[i + static_cast<size_t>(k)];
          code <<= 4;
          if (h >= '0' && h <= '9') code |= static_cast<unsigned>(h - '0');
          else if (h >= 'a' && h <= 'f') code |= static_cast<unsigned>(h - 'a' + 10);
          else if (h >= 'A' && h <= 'F') code |= static_cast<unsigned>(h - 'A' + 10);
          else throw bad("a \\u escape that is not hexadecimal");
        }
        if (code >= 0xD800 && code <= 0xDFFF) throw bad("a surrogate \\u escape");
        AppendUtf8(name, code);
        i += 4;
        break;
      }
      default: throw bad("an unknown escape");
    }
  }
  return name;
}

}  // namespace vit::tool
