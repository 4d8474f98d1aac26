// Option checks whose messages name the bound that was missed. CLI11's PositiveNumber and
// NonNegativeNumber report "Value 0 not in range 0.000000 to 1797693134862315708145274237..." instead.
#pragma once

#include <CLI/CLI.hpp>
#include <cstdlib>
#include <sstream>
#include <string>

namespace vit::cli {

// At least `min` (inclusive) or, with `strict`, above it.
inline CLI::Validator AtLeast(double min, bool strict = false) {
  std::ostringstream bound;
  bound << min;
  const std::string what = (strict ? "greater than " : "at least ") + bound.str();
  return CLI::Validator(
      [min, strict, what](std::string& value) -> std::string {
        char* end = nullptr;
        const double x = std::strtod(value.c_str(), &end);
        if (value.empty() || end != value.c_str() + value.size()) return "'" + value + "' is not a number";
        if (strict ? !(x > min) : !(x >= min)) return "must be " + what + ", got " + value;
        return {};
      },
      strict ? ">" + bound.str() : ">=" + bound.str());
}

inline CLI::Validator Positive() { return AtLeast(0, true); }
inline CLI::Validator NonNegative() { return AtLeast(0); }

}  // namespace vit::cli
