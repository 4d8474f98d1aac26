#include "io/json.h"

#include <set>
#include <vector>

#include "io/mapped_file.h"
#include "vit/error.h"

namespace vit::io {

Json ParseJson(std::string_view text, const std::string& where, int max_depth) {
  // One set of seen keys per open object, innermost last.
  std::vector<std::set<std::string>> open_objects;
  auto check = [&](int depth, Json::parse_event_t event, Json& parsed) -> bool {
    switch (event) {
      case Json::parse_event_t::object_start:
      case Json::parse_event_t::array_start:
        if (depth >= max_depth) {
          throw Error(where + ": JSON nested deeper than " + std::to_string(max_depth) + " levels");
        }
        if (event == Json::parse_event_t::object_start) open_objects.emplace_back();
        break;
      case Json::parse_event_t::object_end:
        if (!open_objects.empty()) open_objects.pop_back();
        break;
      case Json::parse_event_t::key: {
        const std::string& key = parsed.get_ref<const std::string&>();
        if (open_objects.empty() || !open_objects.back().insert(key).second) {
          throw Error(where + ": duplicate JSON key \"" + key + "\"");
        }
        break;
      }
      default:
        break;
    }
    return true;
  };
  try {
    return Json::parse(text.begin(), text.end(), check, /*allow_exceptions=*/true);
  } catch (const Json::exception& e) {
    throw Error(where + ": invalid JSON: " + e.what());
  }
}

Json ReadJsonFile(const std::filesystem::path& path, int max_depth) {
  MappedFile file(path);
  std::string_view text(reinterpret_cast<const char*>(file.data()), file.size());
  return ParseJson(text, path.string(), max_depth);
}

std::string JsonTypeName(const Json& value) { return value.type_name(); }

}  // namespace vit::io
