#include "core/cpu.h"

#include <utility>

namespace vit::core {

const CpuFeatures& Cpu() {
  static const CpuFeatures features = [] {
    // GCC's detection also checks that the OS saves the AVX and AVX-512 state (XCR0).
    __builtin_cpu_init();
    CpuFeatures f;
    f.avx2 = __builtin_cpu_supports("avx2");
    f.fma = __builtin_cpu_supports("fma");
    f.avx512f = __builtin_cpu_supports("avx512f");
    f.avx512dq = __builtin_cpu_supports("avx512dq");
    f.avx512bw = __builtin_cpu_supports("avx512bw");
    f.avx512vl = __builtin_cpu_supports("avx512vl");
    f.avx512_vnni = __builtin_cpu_supports("avx512vnni");
    f.avx512_bf16 = __builtin_cpu_supports("avx512bf16");
    f.avx_vnni = __builtin_cpu_supports("avxvnni");
    f.amx_tile = __builtin_cpu_supports("amx-tile");
    f.amx_bf16 = __builtin_cpu_supports("amx-bf16");
    f.amx_int8 = __builtin_cpu_supports("amx-int8");
    return f;
  }();
  return features;
}

std::string CpuFeatures::Names() const {
  const std::pair<bool, const char*> named[] = {
      {avx2, "avx2"},           {fma, "fma"},           {avx512f, "avx512f"},         {avx512dq, "avx512dq"},
      {avx512bw, "avx512bw"},   {avx512vl, "avx512vl"}, {avx512_vnni, "avx512_vnni"}, {avx512_bf16, "avx512_bf16"},
      {avx_vnni, "avx_vnni"},   {amx_tile, "amx_tile"}, {amx_bf16, "amx_bf16"},       {amx_int8, "amx_int8"},
  };
  std::string names;
  for (const auto& [present, name] : named) {
    if (!present) continue;
    if (!names.empty()) names += ' ';
    names += name;
  }
  return names.empty() ? "x86-64 baseline" : names;
}

}  // namespace vit::core
