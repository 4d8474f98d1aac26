#include "vit/kernel_table.h"

#include <cstdio>

#include "kernels/dispatch.h"

namespace vit {

KernelTableReport KernelTable() {
  const kernels::KernelTable& t = kernels::Kernels();
  KernelTableReport report{t.cpu, t.onednn_isa, t.overrides, {}};
  for (const auto& row : t.Rows()) report.choices.push_back({row.op, row.precision, row.kernel});
  return report;
}

std::string FormatKernelTable(const KernelTableReport& report, const std::string& indent) {
  std::string text = indent + "cpu         " + report.cpu + "\n" + indent + "onednn isa  " + report.onednn_isa + "\n";
  for (const std::string& o : report.overrides) text += indent + "override    " + o + "\n";
  for (const KernelChoice& c : report.choices) {
    char line[256];
    std::snprintf(line, sizeof line, "%-11s %-5s %s\n", c.op.c_str(), c.precision.c_str(), c.kernel.c_str());
    text += indent + line;
  }
  return text;
}

}  // namespace vit
