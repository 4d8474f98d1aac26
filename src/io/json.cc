#include "io/json.h"

#include <set>
#include <type_traits>
#include <utility>
#include <vector>

#include "io/regular_file.h"
#include "vit/error.h"

namespace vit::io {
namespace {

// Builds J from nlohmann's SAX events (or, when !kBuild, only checks them). Containers are reached
// through pointers into their parents; a parent never grows while a child is open, so the pointers
// stay valid.
template <typename J, bool kBuild = true>
class StrictBuilder {
 public:
  using number_integer_t = typename J::number_integer_t;
  using number_unsigned_t = typename J::number_unsigned_t;
  using number_float_t = typename J::number_float_t;
  using string_t = typename J::string_t;
  using binary_t = typename J::binary_t;

  StrictBuilder(const std::string& where, const JsonLimits& limits) : where_(where), limits_(limits) {}

  bool null() { return Put(J(nullptr)) != nullptr; }
  bool boolean(bool v) { return Put(J(v)) != nullptr; }
  bool number_integer(number_integer_t v) { return Put(J(v)) != nullptr; }
  bool number_unsigned(number_unsigned_t v) { return Put(J(v)) != nullptr; }
  bool number_float(number_float_t v, const string_t&) { return Put(J(v)) != nullptr; }
  bool string(string_t& v) { return Put(J(std::move(v))) != nullptr; }
  bool binary(binary_t& v) { return Put(J::binary(std::move(v))) != nullptr; }

  bool start_object(std::size_t) { return Open(J::object()); }
  bool start_array(std::size_t) { return Open(J::array()); }
  bool end_object() {
    keys_.pop_back();
    open_.pop_back();
    return true;
  }
  bool end_array() {
    open_.pop_back();
    return true;
  }
  bool key(string_t& k) {
    if (!keys_.back().insert(k).second) throw Error(where_ + ": duplicate JSON key \"" + k + "\"");
    key_ = std::move(k);
    return true;
  }
  bool parse_error(std::size_t, const std::string&, const nlohmann::detail::exception& e) {
    throw Error(where_ + ": invalid JSON: " + e.what());
  }

  J Take() { return std::move(root_); }

 private:
  bool Open(J&& container) {
    if (static_cast<int>(open_.size()) >= limits_.max_depth) {
      throw Error(where_ + ": JSON nested deeper than " + std::to_string(limits_.max_depth) + " levels");
    }
    const bool is_object = container.is_object();
    J* placed = Put(std::move(container));
    open_.push_back(placed);
    if (is_object) keys_.emplace_back();
    return true;
  }

  J* Put(J&& value) {
    if (!kBuild) return &root_;
    if (open_.empty()) {
      root_ = std::move(value);
      return &root_;
    }
    J& parent = *open_.back();
    if (parent.is_array()) {
      auto& array = parent.template get_ref<typename J::array_t&>();
      array.push_back(std::move(value));
      return &array.back();
    }
    auto& object = parent.template get_ref<typename J::object_t&>();
    if constexpr (std::is_same_v<J, nlohmann::ordered_json>) {
      // ordered_map is a vector; the key is known to be new, so append without its linear search.
      object.emplace_back(std::move(key_), std::move(value));
      return &object.back().second;
    } else {
      return &object.emplace(std::move(key_), std::move(value)).first->second;
    }
  }

  const std::string& where_;
  const JsonLimits& limits_;
  J root_;
  std::vector<J*> open_;                       // innermost last
  std::vector<std::set<std::string>> keys_;    // keys seen, one set per open object
  std::string key_;
};

template <typename J, bool kBuild = true>
J ParseStrict(std::string_view text, const std::string& where, const JsonLimits& limits) {
  if (text.size() > limits.max_bytes) {
    throw Error(where + ": JSON text is " + std::to_string(text.size()) + " bytes, over the limit of " +
                std::to_string(limits.max_bytes));
  }
  StrictBuilder<J, kBuild> builder(where, limits);
  try {
    J::sax_parse(text.begin(), text.end(), &builder, nlohmann::detail::input_format_t::json, /*strict=*/true);
  } catch (const nlohmann::json::exception& e) {
    throw Error(where + ": invalid JSON: " + e.what());
  }
  return builder.Take();
}

}  // namespace

Json ParseJson(std::string_view text, const std::string& where, const JsonLimits& limits) {
  return ParseStrict<Json>(text, where, limits);
}

SortedJson ParseSortedJson(std::string_view text, const std::string& where, const JsonLimits& limits) {
  return ParseStrict<SortedJson>(text, where, limits);
}

void CheckJson(std::string_view text, const std::string& where, const JsonLimits& limits) {
  ParseStrict<SortedJson, /*kBuild=*/false>(text, where, limits);
}

Json ReadJsonFile(const std::filesystem::path& path, const JsonLimits& limits) {
  return ParseJson(ReadRegularTextFile(path, limits.max_bytes, "a JSON file"), path.string(), limits);
}

std::string JsonTypeName(const Json& value) { return value.type_name(); }

}  // namespace vit::io
