#include "io/json_fields.h"

#include <utility>

namespace vit::io {

JsonFields::JsonFields(const Json& object, std::string where) : object_(object), where_(std::move(where)) {
  if (!object_.is_object()) throw Error(where_ + ": expected a JSON object, got " + JsonTypeName(object_));
}

const Json* JsonFields::Find(const std::string& name) const {
  const auto it = object_.find(name);
  return it == object_.end() ? nullptr : &*it;
}

const Json& JsonFields::Require(const std::string& name) const {
  const Json* v = Find(name);
  if (v == nullptr) Fail(name, "is missing");
  return *v;
}

void JsonFields::Fail(const std::string& name, const std::string& what, ErrorKind kind) const {
  throw Error(where_ + ": field \"" + name + "\": " + what, kind);
}

std::string JsonFields::Shown(const Json& v) {
  constexpr size_t kMax = 80;
  std::string text = v.dump(-1, ' ', false, Json::error_handler_t::replace);
  if (text.size() > kMax) text = text.substr(0, kMax) + "...";
  return text;
}

}  // namespace vit::io
