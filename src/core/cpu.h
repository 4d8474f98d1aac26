// What this CPU (with its OS) offers, detected once per process: the named features that choose the
// kernels (kernels/dispatch.h). Nothing else in vit asks CPUID.
#pragma once

#include <string>

namespace vit::core {

struct CpuFeatures {
  bool avx2 = false;
  bool fma = false;
  bool avx512f = false;
  bool avx512dq = false;
  bool avx512bw = false;
  bool avx512vl = false;
  bool avx512_vnni = false;  // VPDPBUSD on zmm: int8 dot products
  bool avx512_bf16 = false;  // VDPBF16PS: bf16 dot products
  bool avx_vnni = false;     // VPDPBUSD on ymm (AVX-VNNI)
  bool amx_tile = false;     // AMX tiles in hardware (Linux must still grant the state: kernels/amx.h)
  bool amx_bf16 = false;
  bool amx_int8 = false;

  // The AVX-512 subsets every Skylake-SP and later server core (and Zen 4 on) has.
  bool Avx512Core() const { return avx512f && avx512dq && avx512bw && avx512vl; }
  // The names of the features present, space-separated ("avx2 fma avx512f ..."), for reports.
  std::string Names() const;
};

// This process's CPU, detected on first call (thread-safe).
const CpuFeatures& Cpu();

}  // namespace vit::core
