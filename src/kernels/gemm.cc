#include "kernels/gemm.h"

#include <numeric>
#include <string>
#include <utility>
#include <vector>

#include "core/threads.h"
#include "kernels/dispatch.h"
#include "kernels/gemm_quantize.h"
#include "kernels/linear_backend.h"
#include "kernels/linear_f32_avx512.h"
#include "kernels/linear_int8_vnni.h"
#include "kernels/linear_onednn.h"
#include "vit/error.h"

namespace vit::kernels {
namespace {

// The back end the table names for the precision, where it takes the shape; else oneDNN's.
GemmKernel ChooseKernel(Precision precision, int64_t out_features, int64_t in_features) {
  const GemmKernel kernel = Kernels().Linear(precision);
  if (kernel == GemmKernel::kInt8Vnni && !Int8VnniLinear::Supports(out_features, in_features))
    return GemmKernel::kOneDnn;
  return kernel;
}

// Row n of w quantized with its own scale, and the offset terms every int8 back end subtracts.
QuantizedWeights Quantize(const float* weight, int64_t out_features, int64_t in_features, core::FloatBuffer& scratch) {
  QuantizedWeights q;
  const size_t elements = static_cast<size_t>(out_features * in_features);
  auto* values = reinterpret_cast<int8_t*>(scratch.Reserve((elements + 3) / 4));
  q.values = values;
  q.scales.resize(static_cast<size_t>(out_features));
  QuantizeWeightsPerRow(weight, out_features, in_features, values, q.scales.data());
  q.offset_terms.resize(static_cast<size_t>(out_features));
  q.offset_sums.resize(static_cast<size_t>(out_features));
  core::ParallelFor(out_features, [&](int64_t n) {  // ViT-L's int8 load sums 300M weights here
    const int8_t* row = values + n * in_features;
    const int64_t sum = std::accumulate(row, row + in_features, int64_t{0});
    q.offset_terms[n] = static_cast<float>(128.0 * q.scales[n] * static_cast<double>(sum));
    q.offset_sums[n] = static_cast<int32_t>(128 * sum);  // |sum| <= 127 * 65536: no overflow
  });
  return q;
}

}  // namespace

PackedLinear::PackedLinear() = default;
PackedLinear::~PackedLinear() = default;
PackedLinear::PackedLinear(PackedLinear&&) noexcept = default;
PackedLinear& PackedLinear::operator=(PackedLinear&&) noexcept = default;

PackedLinear PackedLinear::Pack(const float* weight, const float* bias, int64_t out_features, int64_t in_features,
                                Precision precision, core::FloatBuffer* scratch) {
  if (weight == nullptr || out_features <= 0 || in_features <= 0) {
    throw Error("gemm: Pack needs a weight and positive sizes, got out_features=" + std::to_string(out_features) +
                    ", in_features=" + std::to_string(in_features),
                ErrorKind::kInvalidArgument);
  }
  core::FloatBuffer own_scratch;  // sized in floats, holding int8 or bf16 here
  if (scratch == nullptr) scratch = &own_scratch;
  const GemmKernel kernel = ChooseKernel(precision, out_features, in_features);
  PackedLinear packed;
  switch (precision) {
    case Precision::kF32:
      packed.backend_ = kernel == GemmKernel::kF32Avx512
                            ? F32Avx512Linear::Pack(weight, bias, out_features, in_features)
                            : PackOneDnnLinear(weight, precision, bias, out_features, in_features, nullptr);
      break;
    case Precision::kBF16: {
      const size_t elements = static_cast<size_t>(out_features * in_features);
      auto* bf16 = reinterpret_cast<uint16_t*>(scratch->Reserve((elements + 1) / 2));
      ConvertToBF16(weight, out_features * in_features, bf16);
      packed.backend_ = PackOneDnnLinear(bf16, precision, bias, out_features, in_features, nullptr);
      break;
    }
    case Precision::kInt8: {
      QuantizedWeights q = Quantize(weight, out_features, in_features, *scratch);
      const int8_t* values = q.values;
      packed.backend_ = kernel == GemmKernel::kInt8Vnni
                            ? Int8VnniLinear::Pack(std::move(q), bias, out_features, in_features)
                            : PackOneDnnLinear(values, precision, bias, out_features, in_features, &q);
      break;
    }
  }
  return packed;
}

PackedLinear PackedLinear::FromPacked(std::span<const std::byte> weights, const std::string& layout,
                                      std::span<const float> bias, std::span<const float> weight_scales,
                                      std::span<const float> offset_terms, int64_t out_features, int64_t in_features,
                                      Precision precision, std::shared_ptr<const void> owner) {
  if (out_features <= 0 || in_features <= 0)
    throw Error("gemm: FromPacked needs positive sizes", ErrorKind::kInvalidArgument);
  const auto n = static_cast<size_t>(out_features);
  const size_t scales_expected = precision == Precision::kInt8 ? n : 0;
  if (bias.size() != n || weight_scales.size() != scales_expected || offset_terms.size() != scales_expected)
    throw Error("gemm: packed bias/scales/offset terms have " + std::to_string(bias.size()) + "/" +
                    std::to_string(weight_scales.size()) + "/" + std::to_string(offset_terms.size()) +
                    " values, expected " + std::to_string(n) + "/" + std::to_string(scales_expected) + "/" +
                    std::to_string(scales_expected),
                ErrorKind::kInvalidInput);
  const PackedForm form{weights, layout, bias, weight_scales, offset_terms};
  PackedLinear packed;
  switch (ChooseKernel(precision, out_features, in_features)) {
    case GemmKernel::kF32Avx512:
      packed.backend_ = F32Avx512Linear::FromPacked(form, out_features, in_features, std::move(owner));
      break;
    case GemmKernel::kInt8Vnni:
      packed.backend_ = Int8VnniLinear::FromPacked(form, out_features, in_features, std::move(owner));
      break;
    case GemmKernel::kOneDnn:
      packed.backend_ = OneDnnLinearFromPacked(form, precision, out_features, in_features, std::move(owner));
      break;
  }
  return packed;
}

void PackedLinear::Forward(const float* x, int64_t rows, float* y, Epilogue epilogue, int64_t rows_per_scale) const {
  if (!backend_) throw Error("gemm: Forward on an empty PackedLinear", ErrorKind::kInternal);
  if (rows > 0) backend_->Forward(x, rows, y, epilogue, rows_per_scale);
}

void PackedLinear::CheckBf16Input(bool y_bf16, Epilogue epilogue) const {
  if (!backend_) throw Error("gemm: Forward on an empty PackedLinear", ErrorKind::kInternal);
  if (backend_->precision() != Precision::kBF16)
    throw Error(std::string("gemm: bf16 activations given to a ") + PrecisionName(backend_->precision()) + " layer",
                ErrorKind::kInvalidArgument);
  if (y_bf16 && epilogue == Epilogue::kBiasResidual)
    throw Error("gemm: a residual epilogue keeps its output in f32", ErrorKind::kInvalidArgument);
}

void PackedLinear::Forward(const uint16_t* x, int64_t rows, float* y, Epilogue epilogue) const {
  CheckBf16Input(false, epilogue);
  if (rows > 0) backend_->ForwardBf16(x, rows, y, false, epilogue);
}

void PackedLinear::Forward(const uint16_t* x, int64_t rows, uint16_t* y, Epilogue epilogue) const {
  CheckBf16Input(true, epilogue);
  if (rows > 0) backend_->ForwardBf16(x, rows, y, true, epilogue);
}

std::string PackedLinear::kernel() const { return backend_ ? backend_->kernel() : std::string(); }
std::string PackedLinear::layout() const { return backend_ ? backend_->layout() : std::string(); }

std::span<const std::byte> PackedLinear::packed_weights() const {
  return backend_ ? backend_->packed_weights() : std::span<const std::byte>();
}
std::span<const float> PackedLinear::bias() const { return backend_ ? backend_->bias() : std::span<const float>(); }
std::span<const float> PackedLinear::weight_scales() const {
  return backend_ ? backend_->weight_scales() : std::span<const float>();
}
std::span<const float> PackedLinear::offset_terms() const {
  return backend_ ? backend_->offset_terms() : std::span<const float>();
}

int64_t PackedLinear::in_features() const { return backend_ ? backend_->in_features() : 0; }
int64_t PackedLinear::out_features() const { return backend_ ? backend_->out_features() : 0; }
size_t PackedLinear::packed_bytes() const {
  if (!backend_) return 0;
  return backend_->packed_weights().size() + static_cast<size_t>(backend_->out_features()) * sizeof(float);
}

}  // namespace vit::kernels
