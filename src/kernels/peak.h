// Peak multiply-accumulate throughput of this machine, measured rather than looked up: a tight loop of
// independent FMA (fp32), VDPBF16PS (bf16 pairs into fp32) or VPDPBUSD (u8 x s8 quads into s32)
// instructions on N threads; on CPUs with AMX, TDPBF16PS / TDPBUSD tile products instead, the unit
// oneDNN then computes bf16 and int8 on. `vit bench` divides achieved GFLOP/s by it.
#pragma once

#include <string>

namespace vit::kernels {

// kBF16Dot / kInt8Dot: the fastest unit for the precision (AMX tiles where present, else the vector
// dot products); kBF16Vector / kInt8Vector: the vector dot products (VDPBF16PS / VPDPBUSD) only.
enum class PeakKind { kF32Fma, kBF16Dot, kInt8Dot, kBF16Vector, kInt8Vector };

struct PeakResult {
  bool available = false;  // false: this CPU lacks the instruction (or no build of it exists)
  std::string isa;         // the unit measured: "avx512f", "avx2+fma", "avx512_bf16", "amx_bf16", ...
  double gflops = 0;       // billions of multiply-adds x 2 (int8: integer ops) per second, all threads
};

// Runs for about `seconds` in total on `threads` OpenMP threads (<= 0: the pool's size) and reports the
// best of a few repetitions.
PeakResult MeasurePeak(PeakKind kind, int threads, double seconds = 0.3);

const char* PeakKindName(PeakKind kind);

}  // namespace vit::kernels
