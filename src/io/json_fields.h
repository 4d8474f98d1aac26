// One reader for the fields of a JSON object (config.json, preprocessor_config.json, a head's or an
// index's metadata), with one error format for all of them:
//   <where>: field "<name>": <what was wrong>
// thrown as vit::Error (kInvalidInput unless said otherwise).
#pragma once

#include <cstdint>
#include <limits>
#include <string>
#include <type_traits>

#include "io/json.h"
#include "vit/error.h"

namespace vit::io {

class JsonFields {
 public:
  // Fails with "<where>: expected a JSON object, got <type>" for anything but an object.
  JsonFields(const Json& object, std::string where);

  const std::string& where() const { return where_; }
  // nullptr when the field is absent.
  const Json* Find(const std::string& name) const;
  // The field, which must be present.
  const Json& Require(const std::string& name) const;
  [[noreturn]] void Fail(const std::string& name, const std::string& what,
                         ErrorKind kind = ErrorKind::kInvalidInput) const;

  // Absent or null: `out` keeps its value (the default). Otherwise the value must be of T's kind:
  // true/false for bool, a whole number within T's range for integers, a number for floating point,
  // a string for std::string.
  template <typename T>
  void Read(const std::string& name, T& out) const {
    const Json* v = Find(name);
    if (v == nullptr || v->is_null()) return;
    out = Convert<T>(name, *v);
  }
  // The same for a field that must be present (null is a wrong type).
  template <typename T>
  T Get(const std::string& name) const {
    return Convert<T>(name, Require(name));
  }
  // A value inside a field (an element of a list, a member of an object), checked the same way.
  template <typename T>
  T Convert(const std::string& name, const Json& v) const {
    if constexpr (std::is_same_v<T, bool>) {
      if (!v.is_boolean()) Fail(name, "expected true or false, got " + Shown(v));
      return v.get<bool>();
    } else if constexpr (std::is_integral_v<T>) {
      if (!v.is_number_integer()) Fail(name, "expected a whole number, got " + Shown(v));
      bool fits;
      if (v.is_number_unsigned()) {
        fits = v.get<uint64_t>() <= static_cast<uint64_t>(std::numeric_limits<T>::max());
      } else if constexpr (std::is_signed_v<T>) {
        fits = v.get<int64_t>() >= std::numeric_limits<T>::min() && v.get<int64_t>() <= std::numeric_limits<T>::max();
      } else {
        fits = v.get<int64_t>() >= 0 && static_cast<uint64_t>(v.get<int64_t>()) <= std::numeric_limits<T>::max();
      }
      if (!fits) {
        Fail(name, "expected a whole number in " + std::to_string(std::numeric_limits<T>::min()) + ".." +
                       std::to_string(std::numeric_limits<T>::max()) + ", got " + Shown(v));
      }
      return v.is_number_unsigned() ? static_cast<T>(v.get<uint64_t>()) : static_cast<T>(v.get<int64_t>());
    } else if constexpr (std::is_floating_point_v<T>) {
      if (!v.is_number()) Fail(name, "expected a number, got " + Shown(v));
      return v.get<T>();
    } else {
      static_assert(std::is_same_v<T, std::string>, "bool, integers, floating point or std::string");
      if (!v.is_string()) Fail(name, "expected a string, got " + Shown(v));
      return v.get<std::string>();
    }
  }

  // A value as a message shows it: its JSON text, cut short when long.
  static std::string Shown(const Json& v);

 private:
  const Json& object_;
  std::string where_;
};

}  // namespace vit::io
