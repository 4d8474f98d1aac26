// Lists of names, one per line (inputs.txt), written so that every line reads back as exactly one name.
// The rule: a name is written as it is, unless it holds a control character (a line break, a tab, any
// byte below 0x20, or 0x7f) or begins with a double quote; then it is written as a JSON string literal
// ("a\nb.jpg"), which json.loads reads back. So a line that begins with '"' is JSON, any other is the
// name itself.
#pragma once

#include <string>
#include <string_view>

namespace vit::tool {

// The line for `name`, without its '\n'.
std::string NameLine(std::string_view name);
// The name a line holds; throws vit::Error(kInvalidInput) naming `where` when a quoted line is not a
// JSON string.
std::string NameFromLine(std::string_view line, const std::string& where);

}  // namespace vit::tool
