// The table of kernels (vit/kernel_table.h) as JSON, for `vit bench --json` and `vit inspect --json`.
#pragma once

#include <nlohmann/json.hpp>

#include "vit/kernel_table.h"

namespace vit::tool {

inline nlohmann::json KernelTableJson(const KernelTableReport& report) {
  nlohmann::json choices = nlohmann::json::array();
  for (const KernelChoice& c : report.choices)
    choices.push_back({{"op", c.op}, {"precision", c.precision}, {"kernel", c.kernel}});
  return {{"cpu", report.cpu}, {"onednn_isa", report.onednn_isa}, {"overrides", report.overrides},
          {"choices", choices}};
}

}  // namespace vit::tool
