#include "vit/options.h"

#include "vit/error.h"

namespace vit {

Precision ParsePrecision(const std::string& name) {
  if (name == "f32" || name == "fp32" || name == "float32") return Precision::kF32;
  if (name == "bf16" || name == "bfloat16") return Precision::kBF16;
  if (name == "int8" || name == "i8") return Precision::kInt8;
  throw Error("unknown precision '" + name + "': expected f32, bf16 or int8", ErrorKind::kInvalidArgument);
}

}  // namespace vit
