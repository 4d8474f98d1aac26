#include "kernels/dispatch.h"

#include <cstdlib>
#include <oneapi/dnnl/dnnl.hpp>

#include "kernels/amx.h"

namespace vit::kernels {
namespace {

OneDnnIsa ClassifyOneDnnIsa(dnnl::cpu_isa isa) {
  switch (isa) {
    case dnnl::cpu_isa::avx512_core:
      return OneDnnIsa::kAvx512Core;
    case dnnl::cpu_isa::avx512_core_vnni:
    case dnnl::cpu_isa::avx512_core_bf16:
      return OneDnnIsa::kAvx512Vnni;
    case dnnl::cpu_isa::avx512_core_amx:
      return OneDnnIsa::kAmx;
    default:
      return OneDnnIsa::kBelowAvx512;
  }
}

const char* OneDnnIsaName(dnnl::cpu_isa isa) {
  switch (isa) {
    case dnnl::cpu_isa::sse41: return "sse41";
    case dnnl::cpu_isa::avx: return "avx";
    case dnnl::cpu_isa::avx2: return "avx2";
    case dnnl::cpu_isa::avx2_vnni: return "avx2_vnni";
    case dnnl::cpu_isa::avx512_core: return "avx512_core";
    case dnnl::cpu_isa::avx512_core_vnni: return "avx512_core_vnni";
    case dnnl::cpu_isa::avx512_core_bf16: return "avx512_core_bf16";
    case dnnl::cpu_isa::avx512_core_amx: return "avx512_core_amx";
    default: return "other";
  }
}

std::string Getenv(const char* name) {
  const char* value = std::getenv(name);
  return value != nullptr ? value : "";
}

// An override's effect: true when it asks for oneDNN; anything but "onednn" (or unset) is noted and ignored.
bool AsksForOneDnn(const char* name, const std::string& value, std::vector<std::string>& notes) {
  if (value.empty()) return false;
  if (value == "onednn") {
    notes.push_back(std::string(name) + "=onednn: oneDNN's matmul");
    return true;
  }
  notes.push_back(std::string(name) + "=" + value + ": ignored (the one override is 'onednn')");
  return false;
}

}  // namespace

const char* GemmKernelName(GemmKernel kernel) {
  switch (kernel) {
    case GemmKernel::kOneDnn: return "onednn";
    case GemmKernel::kF32Avx512: return "vit_f32_avx512";
    case GemmKernel::kInt8Vnni: return "vit_int8_avx512_vnni";
  }
  return "?";
}

const char* AttentionKernelName(AttentionKernel kernel) {
  switch (kernel) {
    case AttentionKernel::kF32: return "vit_f32_highway";
    case AttentionKernel::kBf16Avx512: return "vit_bf16_avx512_bf16";
    case AttentionKernel::kBf16Amx: return "vit_bf16_amx";
  }
  return "?";
}

KernelTable ChooseKernels(const KernelInputs& in) {
  const core::CpuFeatures& cpu = in.cpu;
  KernelTable t;
  t.cpu = cpu.Names();
  t.onednn_isa = in.onednn_isa_name;
  const bool f32_onednn = AsksForOneDnn("VIT_F32_GEMM", in.f32_gemm, t.overrides);
  const bool int8_onednn = AsksForOneDnn("VIT_INT8_GEMM", in.int8_gemm, t.overrides);

  // Ours follow oneDNN's ISA down when ONEDNN_MAX_CPU_ISA caps it, so that a capped run tests the other
  // kernels as a CPU without those instructions would.
  const bool avx512 = in.onednn != OneDnnIsa::kBelowAvx512;
  if (avx512 && cpu.avx512f && cpu.avx512dq && !f32_onednn) t.linear_f32 = GemmKernel::kF32Avx512;
  // Not with AMX: oneDNN's tile kernels are faster than VNNI.
  if (in.onednn == OneDnnIsa::kAvx512Vnni && cpu.avx512f && cpu.avx512bw && cpu.avx512_vnni && !int8_onednn)
    t.linear_int8 = GemmKernel::kInt8Vnni;
  t.onednn_int8_dot_products = in.onednn == OneDnnIsa::kAvx512Vnni || in.onednn == OneDnnIsa::kAmx;

  // AMX where Linux grants it; else AVX512-BF16's dot products, but only on CPUs without AMX hardware: on
  // those that have it (Sapphire Rapids on), VDPBF16PS runs at half the rate of fp32 FMAs, and fp32 wins.
  const bool avx512_bf16 = cpu.avx512f && cpu.avx512bw && cpu.avx512vl && cpu.avx512_bf16;
  if (avx512_bf16 && cpu.amx_tile && cpu.amx_bf16 && in.amx_granted) {
    t.attention_bf16 = AttentionKernel::kBf16Amx;
  } else if (avx512_bf16 && !cpu.amx_tile) {
    t.attention_bf16 = AttentionKernel::kBf16Avx512;
  }
  return t;
}

GemmKernel KernelTable::Linear(Precision precision) const {
  switch (precision) {
    case Precision::kF32: return linear_f32;
    case Precision::kBF16: return linear_bf16;
    case Precision::kInt8: return linear_int8;
  }
  return GemmKernel::kOneDnn;
}

std::vector<KernelTable::Row> KernelTable::Rows() const {
  std::vector<Row> rows;
  for (Precision p : {Precision::kF32, Precision::kBF16, Precision::kInt8}) {
    std::string kernel = GemmKernelName(Linear(p));
    if (p == Precision::kInt8 && linear_int8 == GemmKernel::kOneDnn && !onednn_int8_dot_products)
      kernel = "unavailable (needs AVX512-VNNI or AMX)";
    if (p == Precision::kBF16 && onednn_isa.rfind("avx512", 0) != 0)
      kernel = "unavailable (oneDNN's bf16 needs AVX-512)";
    rows.push_back({"linear", PrecisionName(p), kernel});
  }
  rows.push_back({"attention", "f32", AttentionKernelName(AttentionKernel::kF32)});
  for (Precision p : {Precision::kBF16, Precision::kInt8})
    rows.push_back({"attention", PrecisionName(p), AttentionKernelName(attention_bf16)});
  return rows;
}

const KernelTable& Kernels() {
  static const KernelTable table = [] {
    KernelInputs in;
    in.cpu = core::Cpu();
    const dnnl::cpu_isa isa = dnnl::get_effective_cpu_isa();
    in.onednn = ClassifyOneDnnIsa(isa);
    in.onednn_isa_name = OneDnnIsaName(isa);
    // Asked once, before any pool thread could use a tile; oneDNN asks the same for its own kernels.
    in.amx_granted = in.cpu.amx_tile && AmxTileStateGranted();
    in.f32_gemm = Getenv("VIT_F32_GEMM");
    in.int8_gemm = Getenv("VIT_INT8_GEMM");
    return ChooseKernels(in);
  }();
  return table;
}

}  // namespace vit::kernels
