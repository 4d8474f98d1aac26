#include "kernels/dispatch.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <string>

namespace vit::kernels {
namespace {

core::CpuFeatures Avx2Only() {
  core::CpuFeatures f;
  f.avx2 = f.fma = true;
  return f;
}

core::CpuFeatures Zen4() {  // AVX-512 with VNNI and BF16, no AMX
  core::CpuFeatures f = Avx2Only();
  f.avx512f = f.avx512dq = f.avx512bw = f.avx512vl = f.avx512_vnni = f.avx512_bf16 = true;
  return f;
}

core::CpuFeatures SapphireRapids() {
  core::CpuFeatures f = Zen4();
  f.amx_tile = f.amx_bf16 = f.amx_int8 = true;
  return f;
}

KernelInputs On(const core::CpuFeatures& cpu, OneDnnIsa onednn, bool amx_granted = false) {
  KernelInputs in;
  in.cpu = cpu;
  in.onednn = onednn;
  in.amx_granted = amx_granted;
  return in;
}

TEST(KernelTable, ACpuWithoutAvx512RunsEveryGemmOnOneDnn) {
  const KernelTable t = ChooseKernels(On(Avx2Only(), OneDnnIsa::kBelowAvx512));
  EXPECT_EQ(t.linear_f32, GemmKernel::kOneDnn);
  EXPECT_EQ(t.linear_bf16, GemmKernel::kOneDnn);
  EXPECT_EQ(t.linear_int8, GemmKernel::kOneDnn);
  EXPECT_FALSE(t.onednn_int8_dot_products) << "oneDNN's int8 would saturate here";
  EXPECT_EQ(t.attention_bf16, AttentionKernel::kF32);
}

TEST(KernelTable, Avx512WithVnniRunsOurKernelsAndBf16DotProducts) {
  const KernelTable t = ChooseKernels(On(Zen4(), OneDnnIsa::kAvx512Vnni));
  EXPECT_EQ(t.linear_f32, GemmKernel::kF32Avx512);
  EXPECT_EQ(t.linear_bf16, GemmKernel::kOneDnn);
  EXPECT_EQ(t.linear_int8, GemmKernel::kInt8Vnni);
  EXPECT_TRUE(t.onednn_int8_dot_products);
  EXPECT_EQ(t.attention_bf16, AttentionKernel::kBf16Avx512);
}

TEST(KernelTable, AmxLeavesInt8ToOneDnnsTilesAndTakesAttentionOnTiles) {
  const KernelTable granted = ChooseKernels(On(SapphireRapids(), OneDnnIsa::kAmx, /*amx_granted=*/true));
  EXPECT_EQ(granted.linear_f32, GemmKernel::kF32Avx512);
  EXPECT_EQ(granted.linear_int8, GemmKernel::kOneDnn);
  EXPECT_TRUE(granted.onednn_int8_dot_products);
  EXPECT_EQ(granted.attention_bf16, AttentionKernel::kBf16Amx);
  // Refused the tile state, an AMX CPU keeps fp32 attention: its VDPBF16PS is slower than its FMAs.
  const KernelTable refused = ChooseKernels(On(SapphireRapids(), OneDnnIsa::kAmx, /*amx_granted=*/false));
  EXPECT_EQ(refused.attention_bf16, AttentionKernel::kF32);
}

TEST(KernelTable, OursFollowOneDnnsIsaWhenCapped) {
  const KernelTable t = ChooseKernels(On(Zen4(), OneDnnIsa::kBelowAvx512));  // ONEDNN_MAX_CPU_ISA=AVX2
  EXPECT_EQ(t.linear_f32, GemmKernel::kOneDnn);
  EXPECT_EQ(t.linear_int8, GemmKernel::kOneDnn);
  const KernelTable core_only = ChooseKernels(On(Zen4(), OneDnnIsa::kAvx512Core));
  EXPECT_EQ(core_only.linear_f32, GemmKernel::kF32Avx512);
  EXPECT_EQ(core_only.linear_int8, GemmKernel::kOneDnn);
  EXPECT_FALSE(core_only.onednn_int8_dot_products);
}

TEST(KernelTable, OverridesSendGemmsToOneDnnAndOtherValuesAreNoted) {
  KernelInputs in = On(Zen4(), OneDnnIsa::kAvx512Vnni);
  in.f32_gemm = "onednn";
  in.int8_gemm = "onednn";
  const KernelTable t = ChooseKernels(in);
  EXPECT_EQ(t.linear_f32, GemmKernel::kOneDnn);
  EXPECT_EQ(t.linear_int8, GemmKernel::kOneDnn);
  ASSERT_EQ(t.overrides.size(), 2u);
  EXPECT_EQ(t.overrides[0].rfind("VIT_F32_GEMM=onednn", 0), 0u) << t.overrides[0];

  in.f32_gemm = "fast";
  in.int8_gemm = "";
  const KernelTable ignored = ChooseKernels(in);
  EXPECT_EQ(ignored.linear_f32, GemmKernel::kF32Avx512);
  ASSERT_EQ(ignored.overrides.size(), 1u);
  EXPECT_NE(ignored.overrides[0].find("ignored"), std::string::npos) << ignored.overrides[0];
}

TEST(KernelTable, RowsNameEveryOpAndPrecision) {
  const KernelTable t = ChooseKernels(On(Zen4(), OneDnnIsa::kAvx512Vnni));
  const auto rows = t.Rows();
  ASSERT_EQ(rows.size(), 6u);
  EXPECT_EQ(rows[0].op, "linear");
  EXPECT_EQ(rows[0].precision, "f32");
  EXPECT_EQ(rows[0].kernel, "vit_f32_avx512");
  EXPECT_EQ(rows[2].kernel, "vit_int8_avx512_vnni");
  EXPECT_EQ(rows[5].op, "attention");
  EXPECT_EQ(rows[5].kernel, "vit_bf16_avx512_bf16");
  const auto plain = ChooseKernels(On(Avx2Only(), OneDnnIsa::kBelowAvx512)).Rows();
  EXPECT_NE(plain[2].kernel.find("unavailable"), std::string::npos) << plain[2].kernel;
}

// This process's table reads the override the environment gave it (ctest reruns the kernel tests with
// VIT_F32_GEMM=onednn).
TEST(KernelTable, ThisProcessHonoursTheEnvironment) {
  const char* f32 = std::getenv("VIT_F32_GEMM");
  if (f32 != nullptr && std::string(f32) == "onednn") {
    EXPECT_EQ(Kernels().linear_f32, GemmKernel::kOneDnn);
  }
  EXPECT_FALSE(Kernels().cpu.empty());
  EXPECT_FALSE(Kernels().onednn_isa.empty());
}

}  // namespace
}  // namespace vit::kernels
