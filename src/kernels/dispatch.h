// Which kernel runs each (op, precision) on this CPU: one table, filled once from the CPU's features
// (core/cpu.h), oneDNN's effective ISA and the environment's overrides, as ONNX Runtime's MLAS platform
// table and ggml's cpu-feats do. Kernels and the model read the table, never CPUID or the environment.
//
// Overrides (read once, at the table's first use), for comparisons and for testing the fallbacks on
// CPUs that would not pick them:
//   VIT_F32_GEMM=onednn   fp32 linear layers on oneDNN's matmul instead of ours
//   VIT_INT8_GEMM=onednn  int8 linear layers on oneDNN's matmul instead of ours
//   ONEDNN_MAX_CPU_ISA    (oneDNN's own) caps oneDNN's ISA, and ours follow it down
#pragma once

#include <string>
#include <vector>

#include "core/cpu.h"
#include "vit/precision.h"

namespace vit::kernels {

enum class GemmKernel {
  kOneDnn,      // oneDNN's matmul (brgemm/gemm for the ISA it finds); f32 everywhere, bf16/int8 from AVX-512
  kF32Avx512,   // ours, gemm_f32.h: AVX-512F FMA panels
  kInt8Vnni,    // ours, gemm_vnni.h: AVX512-VNNI panels, one activation scale per row
};
// "onednn", "vit_f32_avx512", "vit_int8_avx512_vnni".
const char* GemmKernelName(GemmKernel kernel);

// The two products of attention in bf16-rounded models (bf16 and int8).
enum class AttentionKernel {
  kF32,         // fp32 FMAs (Highway), as the f32 model
  kBf16Avx512,  // AVX512-BF16 dot products: twice the fp32 rate on CPUs without AMX
  kBf16Amx,     // AMX tiles
};
const char* AttentionKernelName(AttentionKernel kernel);

// oneDNN's effective ISA, as far as the choice needs it.
enum class OneDnnIsa { kBelowAvx512, kAvx512Core, kAvx512Vnni, kAmx };

// What the choice depends on, apart from this process so that tests can fill the tables of other CPUs.
struct KernelInputs {
  core::CpuFeatures cpu;
  OneDnnIsa onednn = OneDnnIsa::kBelowAvx512;
  std::string onednn_isa_name;
  bool amx_granted = false;  // Linux grants this process the AMX tile state
  std::string f32_gemm;      // VIT_F32_GEMM's value, "" when unset
  std::string int8_gemm;     // VIT_INT8_GEMM's value
};

struct KernelTable {
  GemmKernel linear_f32 = GemmKernel::kOneDnn;
  GemmKernel linear_bf16 = GemmKernel::kOneDnn;
  // kInt8Vnni takes in_features a multiple of 4 up to 65536 (vnni::Supports); other shapes go to oneDNN.
  GemmKernel linear_int8 = GemmKernel::kOneDnn;
  // oneDNN's int8 runs dot products (VNNI or AMX): without, its VPMADDUBSW sums saturate on full-range
  // int8 (wrong answers, not slow ones), so int8 is refused there.
  bool onednn_int8_dot_products = false;
  // For head_dim a multiple of 16; other heads compute as kF32.
  AttentionKernel attention_bf16 = AttentionKernel::kF32;

  std::string cpu;         // the CPU's features, core::CpuFeatures::Names()
  std::string onednn_isa;  // oneDNN's effective ISA
  std::vector<std::string> overrides;  // the overrides applied or ignored, as "NAME=value: what it did"

  GemmKernel Linear(Precision precision) const;

  struct Row {
    std::string op, precision, kernel;
  };
  // Every (op, precision) with its kernel, for `vit bench` and `vit inspect`.
  std::vector<Row> Rows() const;
};

KernelTable ChooseKernels(const KernelInputs& inputs);

// This process's table, filled on first call (thread-safe).
const KernelTable& Kernels();

}  // namespace vit::kernels
