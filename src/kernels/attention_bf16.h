// The two products of attention (q k^T and p v) in bf16 with fp32 accumulation: on AMX tiles, or on
// AVX512-BF16's VDPBF16PS (twice the rate of fp32 FMAs on CPUs without AMX, such as AMD's). Used when the
// model runs in bf16 or int8, whose GEMMs are already bf16 or coarser; the softmax between the products
// stays fp32.
//
// Layout: a "pair" is a uint32 holding two bf16 values of consecutive depth indices (the even one in
// the low half), which is what VDPBF16PS multiplies and adds per 32-bit lane, and the row layout AMX's
// TDPBF16PS expects of its right operand.
#pragma once

#include <cstdint>

namespace vit::kernels {

// The functions below require AVX512-BF16 with AVX512-BW and -VL (core::Cpu()); the table of kernels
// (dispatch.h) chooses where they run.

// dst[r * ld_dst + c] = bf16(src[r * ld_src + c] * scale), round to nearest even; columns [cols, ld_dst)
// are zeroed. ld_dst is even.
void ToBf16Rows(const float* src, int64_t ld_src, int64_t rows, int64_t cols, float scale, uint16_t* dst,
                int64_t ld_dst);

// The unnormalised softmax of each row of scores (rows ld floats apart, cols valid): e = exp(s - max of the
// row) stored as bf16 to dst (rows ld_dst apart, columns [cols, ld_dst) zeroed, ld_dst a multiple of 16),
// and 1 / sum(e) of the float e to inverse_sums[r], to be applied to the row's result instead.
void ExpRowsToBf16(const float* scores, int64_t ld, int64_t rows, int64_t cols, uint16_t* dst, int64_t ld_dst,
                   float* inverse_sums);

// Pairs along the columns, transposed: dst[c2 * ld_dst + n] = (src[n][2 c2], src[n][2 c2 + 1]) for n < rows,
// zero for n in [rows, ld_dst). cols is even. (k of one head -> the right operand of q k^T.)
void PackPairsTransposed(const float* src, int64_t ld_src, int64_t rows, int64_t cols, uint32_t* dst, int64_t ld_dst);

// Pairs along the rows: dst[j2 * cols + c] = (src[2 j2][c], src[2 j2 + 1][c]); source rows at or past
// `rows` read as zero, up to padded_rows (even). (v of one head -> the right operand of p v.)
void PackPairsInterleaved(const float* src, int64_t ld_src, int64_t rows, int64_t cols, int64_t padded_rows,
                          uint32_t* dst);

// c[rows x 16*vectors] = a[rows x depth pairs] * b[depth pairs x 16*vectors] in fp32, each result row
// multiplied by scale (and by row_scale[r] when given) as it is stored. lda, ldb in pairs, ldc in floats.
void MatMulBf16Pairs(const uint32_t* a, int64_t lda, const uint32_t* b, int64_t ldb, int64_t rows, int64_t depth,
                     int64_t vectors, float* c, int64_t ldc, float scale, const float* row_scale);

// MatMulBf16Pairs on AMX tiles (requires the table's AttentionKernel::kBf16Amx: AMX-BF16 with the tile state granted): depth is a multiple of 16 pairs, and `a` holds
// rows rounded up to 16 (the extra rows are read, their results dropped).
void MatMulBf16PairsAmx(const uint32_t* a, int64_t lda, const uint32_t* b, int64_t ldb, int64_t rows, int64_t depth,
                        int64_t vectors, float* c, int64_t ldc, float scale, const float* row_scale);

}  // namespace vit::kernels
