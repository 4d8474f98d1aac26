// Which kernel runs each (op, precision) on this CPU, as the library chose it (once per process, from
// the CPU's features, oneDNN's ISA and the VIT_F32_GEMM / VIT_INT8_GEMM overrides), for reports.
#pragma once

#include <string>
#include <vector>

namespace vit {

struct KernelChoice {
  std::string op;         // "linear", "attention"
  std::string precision;  // "f32", "bf16", "int8"
  std::string kernel;     // e.g. "vit_f32_avx512", "onednn", "vit_bf16_amx", "unavailable (...)"
};

struct KernelTableReport {
  std::string cpu;         // the CPU features that choose kernels, e.g. "avx2 fma avx512f ..."
  std::string onednn_isa;  // oneDNN's effective ISA, e.g. "avx512_core_bf16"
  std::vector<std::string> overrides;  // environment overrides applied or ignored
  std::vector<KernelChoice> choices;
};

KernelTableReport KernelTable();

// The report as indented lines of text ("  linear     f32   vit_f32_avx512"), one per choice, after
// lines for the CPU, oneDNN's ISA and any overrides.
std::string FormatKernelTable(const KernelTableReport& report, const std::string& indent = "  ");

}  // namespace vit
