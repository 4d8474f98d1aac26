#include "core/cpu.h"

#include <cpuid.h>

#include <cstdint>
#include <utility>

namespace vit::core {
namespace {

// Bit `bit` of CPUID leaf 7's sub-leaf `subleaf`, register EAX (0) or EDX (3) (Intel SDM vol. 2A,
// CPUID: "Structured Extended Feature Flags"). Read directly for the features that not every
// compiler's __builtin_cpu_supports names (clang 14 knows none of AVX-VNNI and AMX).
bool Leaf7Bit(unsigned subleaf, int reg, int bit) {
  unsigned regs[4] = {};
  if (!__get_cpuid_count(7, subleaf, &regs[0], &regs[1], &regs[2], &regs[3])) return false;
  return (regs[reg] >> bit) & 1u;
}
constexpr int kEax = 0, kEdx = 3;

}  // namespace

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
    // AVX-VNNI runs on ymm registers, whose state the OS saves wherever AVX2 is reported usable. AMX's tile
    // state is granted per process on Linux, which kernels/amx.h asks for before the first tile instruction.
    f.avx_vnni = f.avx2 && Leaf7Bit(1, kEax, 4);
    f.amx_tile = Leaf7Bit(0, kEdx, 24);
    f.amx_bf16 = Leaf7Bit(0, kEdx, 22);
    f.amx_int8 = Leaf7Bit(0, kEdx, 25);
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
