// PackedLinear on oneDNN's matmul, and on our own kernels where they are faster: int8 on CPUs with
// AVX512-VNNI (gemm_vnni.h), fp32 on CPUs with AVX-512 (gemm_f32.h). For oneDNN the weights are reordered
// once, at Pack, into the blocked layout the primitive prefers; a primitive per (row count, epilogue) is
// created on first use and cached, so the steady state only executes. Bias and epilogue are post-ops of
// the same primitive: one pass over y.
#include "kernels/gemm.h"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <map>
#include <mutex>
#include <numeric>
#include <oneapi/dnnl/dnnl.hpp>
#include <string>
#include <tuple>
#include <unordered_map>
#include <utility>
#include <vector>

#include "core/aligned.h"
#include "core/threads.h"
#include "kernels/dnnl_context.h"
#include "kernels/gemm_f32.h"
#include "kernels/gemm_quantize.h"
#include "kernels/gemm_vnni.h"
#include "vit/error.h"

namespace vit::kernels {

const char* GemmPrecisionName(GemmPrecision p) {
  switch (p) {
    case GemmPrecision::kF32:
      return "f32";
    case GemmPrecision::kBF16:
      return "bf16";
    case GemmPrecision::kInt8:
      return "int8";
  }
  return "?";
}

namespace {

using dnnl::memory;
using Dt = memory::data_type;
using Tag = memory::format_tag;

// The layout oneDNN 2.6 picks for the weights does not depend on the row count (seen for 1 to 1576
// rows in f32, bf16 and int8), so one representative count decides the packing for every later call.
// Were another count to prefer another layout, its primitive would still take this one, only slower.
constexpr memory::dim kPackingRows = 256;

std::atomic<uint64_t> next_linear_id{1};

// Primitives kept per PackedLinear (row count x epilogue pairs).
constexpr size_t kMaxCachedRowCounts = 64;


// The element type of the weights at a precision; the output is always f32 (or bf16 where asked).
Dt WeightType(GemmPrecision p) {
  switch (p) {
    case GemmPrecision::kF32:
      return Dt::f32;
    case GemmPrecision::kBF16:
      return Dt::bf16;
    case GemmPrecision::kInt8:
      return Dt::s8;
  }
  return Dt::f32;
}

// The activations' type: the weights', except int8's, which go in as uint8 offset by 128
// (QuantizeActivationsInGroups). VNNI multiplies unsigned by signed bytes, so signed activations
// make oneDNN add 128 inside the kernel and subtract a compensation after; offset activations with that
// compensation folded into the bias ran ViT-L's GEMMs 2-5% faster at batch 1.
Dt InputType(GemmPrecision p) { return p == GemmPrecision::kInt8 ? Dt::u8 : WeightType(p); }

dnnl::post_ops EpiloguePostOps(Epilogue epilogue) {
  dnnl::post_ops ops;
  switch (epilogue) {
    case Epilogue::kBias:
      break;
    case Epilogue::kBiasGelu:
      ops.append_eltwise(1.f, dnnl::algorithm::eltwise_gelu_erf, 0.f, 0.f);
      break;
    case Epilogue::kBiasResidual:
      ops.append_sum(1.f);
      break;
    case Epilogue::kBiasTanh:
      ops.append_eltwise(1.f, dnnl::algorithm::eltwise_tanh, 0.f, 0.f);
      break;
  }
  return ops;
}

}  // namespace

struct PackedLinear::Impl {
  uint64_t id = 0;  // unique per Pack: keys the per-thread bindings, which outlive no address reuse
  int64_t out_features = 0;
  int64_t in_features = 0;
  GemmPrecision precision = GemmPrecision::kF32;
  memory::desc weights_md;
  memory weights;
  std::shared_ptr<const void> weights_owner;  // the memory `weights` views: ours, or a cache file's mapping
  memory bias;
  // kInt8: per-output-channel weight scales; the primitive's output scale is weight_scale[n] * x_scale.
  std::vector<float> weight_scales;
  // kInt8: 128 * weight_scale[n] * sum_k w[n][k], what the activations' offset of 128 adds to output n
  // per unit of x_scale; each call's bias is b[n] - x_scale * offset_terms[n].
  std::vector<float> offset_terms;
  // kInt8 on vnni::Forward (our packing, not oneDNN's), with 128 * sum_k w[n][k] as integers, subtracted
  // from the sums exactly; kF32 on f32::Forward (our packing).
  bool vnni = false;
  std::vector<int32_t> offset_sums;
  bool f32_panels = false;
  // The weights in our kernel's packing (in weights_owner's memory).
  const void* own_weights = nullptr;

  // bias [out_features] or nullptr (zeros).
  void SetBias(const float* values) {
    bias = memory({{1, out_features}, Dt::f32, Tag::ab}, Engine());
    auto* b = static_cast<float*>(bias.get_data_handle());
    for (int64_t n = 0; n < out_features; ++n) b[n] = values != nullptr ? values[n] : 0.f;
  }

  vnni::Int8Weights VnniWeights() const {
    return {static_cast<const int8_t*>(own_weights), offset_sums.data(), weight_scales.data(),
            static_cast<const float*>(bias.get_data_handle()), out_features, in_features};
  }
  f32::Weights F32Weights() const {
    return {static_cast<const float*>(own_weights), static_cast<const float*>(bias.get_data_handle()), out_features,
            in_features};
  }
  // Whether one of our kernels runs the layer (with our packing) rather than oneDNN's.
  bool own_kernel() const { return vnni || f32_panels; }
  // Bytes of our kernels' packing.
  size_t OwnPackedBytes() const {
    return vnni ? vnni::PackedBytes(out_features, in_features)
                : f32::PackedFloats(out_features, in_features) * sizeof(float);
  }
  // Our packings' counterpart of DescribeLayout.
  std::string OwnLayout() const {
    const std::string dims = " dims " + std::to_string(in_features) + " " + std::to_string(out_features) +
                             " bytes " + std::to_string(OwnPackedBytes());
    if (vnni) {
      return "vit vnni int8 panels of " + std::to_string(vnni::kPanelColumns) + " columns, k in fours" + dims;
    }
    return "vit avx512 f32 panels of " + std::to_string(f32::kPanelColumns) + " columns" + dims;
  }

  mutable std::mutex mutex;
  // Keyed by (rows, epilogue, bf16 output).
  mutable std::map<std::tuple<int64_t, Epilogue, bool>, dnnl::matmul> primitives;

  dnnl::primitive_attr Attributes(Epilogue epilogue) const {
    dnnl::primitive_attr attr;
    // Strict: f32 stays f32 (no implicit bf16/tf32 down-conversion), as PyTorch's fp32.
    attr.set_fpmath_mode(dnnl::fpmath_mode::strict);
    if (precision == GemmPrecision::kInt8) {
      // oneDNN v2 scales int8 results after adding the bias, so the bias (like the activation scale
      // known only at run time) comes in as a post-op: y = epilogue(acc * w_scale[n] * x_scale + b[n]).
      // A per-row activation scale would need a [M,1] broadcast, which sends oneDNN 2.6 to its
      // reference kernel; a scalar one keeps the VNNI/AMX brgemm kernels.
      attr.set_output_scales(1 << 1, weight_scales);
      dnnl::post_ops ops;
      ops.append_binary(dnnl::algorithm::binary_mul, memory::desc({1, 1}, Dt::f32, Tag::ab));
      ops.append_binary(dnnl::algorithm::binary_add, memory::desc({1, out_features}, Dt::f32, Tag::ab));
      const dnnl::post_ops epilogue_ops = EpiloguePostOps(epilogue);
      for (int i = 0; i < epilogue_ops.len(); ++i) {
        if (epilogue_ops.kind(i) == dnnl::primitive::kind::sum) {
          ops.append_sum(1.f);
        } else {
          dnnl::algorithm algorithm;
          float scale, alpha, beta;
          epilogue_ops.get_params_eltwise(i, scale, algorithm, alpha, beta);
          ops.append_eltwise(scale, algorithm, alpha, beta);
        }
      }
      attr.set_post_ops(ops);
    } else {
      attr.set_post_ops(EpiloguePostOps(epilogue));
    }
    return attr;
  }

  dnnl::matmul::primitive_desc Describe(memory::dim rows, const memory::desc& weights_desc, Epilogue epilogue,
                                        bool dst_bf16 = false) const {
    const memory::desc src({rows, in_features}, InputType(precision), Tag::ab);
    const memory::desc bias_md({1, out_features}, Dt::f32, Tag::ab);
    const memory::desc dst({rows, out_features}, dst_bf16 ? Dt::bf16 : Dt::f32, Tag::ab);
    const dnnl::matmul::desc desc = precision == GemmPrecision::kInt8
                                        ? dnnl::matmul::desc(src, weights_desc, dst)
                                        : dnnl::matmul::desc(src, weights_desc, bias_md, dst);
    return dnnl::matmul::primitive_desc(desc, Attributes(epilogue), Engine());
  }

  // oneDNN's int8 kernels for CPUs without VNNI (AVX2, plain AVX-512) multiply with VPMADDUBSW, whose
  // 16-bit pair sums saturate on full-range int8: wrong answers, not just slow ones. int8 is offered
  // only where oneDNN runs VNNI or AMX (or its exact reference kernel, for shapes too odd for those).
  void CheckKernel(const dnnl::matmul::primitive_desc& pd) const {
    if (precision != GemmPrecision::kInt8) return;
    const dnnl::cpu_isa isa = dnnl::get_effective_cpu_isa();
    const bool dot_products = isa == dnnl::cpu_isa::avx512_core_vnni || isa == dnnl::cpu_isa::avx512_core_bf16 ||
                              isa == dnnl::cpu_isa::avx512_core_amx;
    const std::string impl = pd.impl_info_str();
    if (!dot_products && impl.rfind("ref", 0) != 0) {
      throw Error("gemm: int8 needs a CPU with AVX512-VNNI or AMX (oneDNN offers '" + impl +
                      "' here, whose int8 sums saturate); use f32 or bf16",
                  ErrorKind::kUnsupported);
    }
  }

  // Sets weights_md to the blocking oneDNN picks for these weights (int8's weight scales must be set
  // first: they are part of the primitive); a CPU without kernels for the precision is an error saying so.
  void ChooseLayout() {
    const memory::desc any_weights({in_features, out_features}, WeightType(precision), Tag::any);
    try {
      const dnnl::matmul::primitive_desc pd = Describe(kPackingRows, any_weights, Epilogue::kBias);
      CheckKernel(pd);
      weights_md = pd.weights_desc();
    } catch (const dnnl::error& e) {
      // f32 runs everywhere; oneDNN 2.6 has bf16 and int8 kernels only from AVX-512 on.
      if (precision != GemmPrecision::kF32) {
        throw Error(std::string("gemm: this CPU has no oneDNN kernel for ") + GemmPrecisionName(precision) +
                        " matmul (" + e.what() + "); use f32",
                    ErrorKind::kUnsupported);
      }
      throw Error(std::string("gemm: oneDNN has no matmul for these weights: ") + e.what(), ErrorKind::kInternal);
    }
  }

  // A handle (shared ownership), not a reference: the cache may be cleared while a caller executes.
  dnnl::matmul Primitive(int64_t rows, Epilogue epilogue, bool dst_bf16) const {
    std::lock_guard<std::mutex> lock(mutex);
    const auto key = std::make_tuple(rows, epilogue, dst_bf16);
    auto it = primitives.find(key);
    if (it == primitives.end()) {
      try {
        const dnnl::matmul::primitive_desc pd = Describe(rows, weights_md, epilogue, dst_bf16);
        CheckKernel(pd);
        // A server batching requests dynamically sees many row counts; past a bound the cache starts
        // over (oneDNN's own primitive cache still holds the compiled kernels).
        if (primitives.size() >= kMaxCachedRowCounts) primitives.clear();
        it = primitives.emplace(key, dnnl::matmul(pd)).first;
      } catch (const dnnl::error& e) {
        throw Error("gemm: oneDNN could not create a matmul for " + std::to_string(rows) + "x" +
                        std::to_string(in_features) + " by " + std::to_string(in_features) + "x" +
                        std::to_string(out_features) + ": " + e.what(),
                    ErrorKind::kInternal);
      }
    }
    return it->second;
  }
};

namespace {

// The blocking oneDNN picks for the weights of this shape and precision, and the ISA it picks it for.
std::string DescribeLayout(const memory::desc& md) {
  const dnnl_memory_desc_t& d = md.data;
  std::string text = "dnnl " + std::to_string(dnnl_version()->major) + "." + std::to_string(dnnl_version()->minor) +
                     "." + std::to_string(dnnl_version()->patch) + " " + dnnl_version()->hash + " isa " +
                     std::to_string(static_cast<int>(dnnl::get_effective_cpu_isa())) + " dt " +
                     std::to_string(d.data_type) + " kind " + std::to_string(d.format_kind) + " dims";
  auto list = [&](const auto* values, int count) {
    for (int i = 0; i < count; ++i) text += " " + std::to_string(values[i]);
  };
  list(d.dims, d.ndims);
  text += " padded";
  list(d.padded_dims, d.ndims);
  text += " strides";
  list(d.format_desc.blocking.strides, d.ndims);
  text += " blocks";
  list(d.format_desc.blocking.inner_blks, d.format_desc.blocking.inner_nblks);
  text += " idxs";
  list(d.format_desc.blocking.inner_idxs, d.format_desc.blocking.inner_nblks);
  text += " extra " + std::to_string(d.extra.flags) + " " + std::to_string(d.extra.compensation_mask) + " " +
          std::to_string(d.extra.scale_adjust) + " bytes " + std::to_string(md.get_size());
  return text;
}

bool UsesVnni(GemmPrecision precision, int64_t out_features, int64_t in_features) {
  return precision == GemmPrecision::kInt8 && vnni::Enabled() && vnni::Supports(out_features, in_features);
}

}  // namespace

std::unique_ptr<PackedLinear::Impl> PackedLinear::NewImpl(int64_t out_features, int64_t in_features,
                                                         GemmPrecision precision) {
  auto impl = std::make_unique<Impl>();
  impl->id = next_linear_id.fetch_add(1);
  impl->out_features = out_features;
  impl->in_features = in_features;
  impl->precision = precision;
  impl->vnni = UsesVnni(precision, out_features, in_features);
  impl->f32_panels = precision == GemmPrecision::kF32 && f32::Enabled();
  return impl;
}

PackedLinear::PackedLinear() = default;
PackedLinear::~PackedLinear() = default;
PackedLinear::PackedLinear(PackedLinear&&) noexcept = default;
PackedLinear& PackedLinear::operator=(PackedLinear&&) noexcept = default;

PackedLinear PackedLinear::Pack(const float* weight, const float* bias, int64_t out_features, int64_t in_features,
                                GemmPrecision precision, core::FloatBuffer* scratch) {
  if (weight == nullptr || out_features <= 0 || in_features <= 0) {
    throw Error("gemm: Pack needs a weight and positive sizes, got out_features=" + std::to_string(out_features) +
                    ", in_features=" + std::to_string(in_features),
                ErrorKind::kInvalidArgument);
  }
  auto impl = NewImpl(out_features, in_features, precision);

  // Reduced precisions are converted first: the int8 weight scales are part of the primitive.
  const void* user_data = weight;
  core::FloatBuffer own_scratch;  // sized in floats, holding int8 or bf16 here
  if (scratch == nullptr) scratch = &own_scratch;
  const size_t elements = static_cast<size_t>(out_features * in_features);
  int8_t* quantized = nullptr;
  if (precision == GemmPrecision::kInt8) {
    quantized = reinterpret_cast<int8_t*>(scratch->Reserve((elements + 3) / 4));
    impl->weight_scales.resize(static_cast<size_t>(out_features));
    QuantizeWeightsPerRow(weight, out_features, in_features, quantized, impl->weight_scales.data());
    impl->offset_terms.resize(static_cast<size_t>(out_features));
    impl->offset_sums.resize(static_cast<size_t>(out_features));
    core::ParallelFor(out_features, [&](int64_t n) {  // ViT-L's int8 load sums 300M weights here
      const int8_t* row = quantized + n * in_features;
      const int64_t sum = std::accumulate(row, row + in_features, int64_t{0});
      impl->offset_terms[n] = static_cast<float>(128.0 * impl->weight_scales[n] * static_cast<double>(sum));
      impl->offset_sums[n] = static_cast<int32_t>(128 * sum);  // |sum| <= 127 * 65536: no overflow
    });
    user_data = quantized;
  } else if (precision == GemmPrecision::kBF16) {
    auto* bf16 = reinterpret_cast<uint16_t*>(scratch->Reserve((elements + 1) / 2));
    ConvertToBF16(weight, out_features * in_features, bf16);
    user_data = bf16;
  }

  if (impl->own_kernel()) {
    void* packed_weights = core::AlignedAlloc(impl->OwnPackedBytes());
    impl->weights_owner = std::shared_ptr<const void>(packed_weights, core::AlignedFree);
    impl->own_weights = packed_weights;
    if (impl->vnni) {
      vnni::PackWeights(quantized, out_features, in_features, static_cast<int8_t*>(packed_weights));
    } else {
      f32::PackWeights(weight, out_features, in_features, static_cast<float*>(packed_weights));
    }
    impl->SetBias(bias);
  } else {
    PackForOneDnn(*impl, user_data, bias);
  }
  PackedLinear packed;
  packed.impl_ = std::move(impl);
  return packed;
}

void PackedLinear::PackForOneDnn(Impl& impl, const void* user_data, const float* bias) {
  const int64_t out_features = impl.out_features, in_features = impl.in_features;
  const GemmPrecision precision = impl.precision;
  impl.ChooseLayout();
  try {
    // Our allocation rather than oneDNN's: it asks for transparent huge pages, and the load's cost is
    // mostly first touches of the packed weights (~10 us per 4 KiB page on a VM, 2.3 s for ViT-L fp32).
    void* packed_weights = core::AlignedAlloc(impl.weights_md.get_size());
    impl.weights_owner = std::shared_ptr<const void>(packed_weights, core::AlignedFree);
    impl.weights = memory(impl.weights_md, Engine(), packed_weights);
    // nn.Linear's W[N,K] row-major is the K x N matrix in column-major order ("ba").
    const memory::desc user_md({in_features, out_features}, WeightType(precision), Tag::ba);
    memory user(user_md, Engine(), const_cast<void*>(user_data));
    dnnl::reorder(user, impl.weights).execute(ThreadStream(), user, impl.weights);

    impl.SetBias(bias);
    ThreadStream().wait();
  } catch (const dnnl::error& e) {
    throw Error(std::string("gemm: oneDNN could not pack the weights: ") + e.what(), ErrorKind::kInternal);
  }
}

namespace {

// The memory objects and argument map of one (PackedLinear, rows, epilogue) on one thread, made on
// first use; later calls only point them at the call's buffers, so Forward allocates nothing.
struct Binding {
  memory src;
  memory dst;
  memory x_scale;    // int8: the activation scale, a post-op argument
  memory int8_bias;  // int8: the bias offset for this call's activation scale, a post-op argument
  std::unordered_map<int, memory> args;
};

Binding& ThreadBinding(uint64_t linear_id, int64_t rows, Epilogue epilogue, bool dst_bf16) {
  thread_local std::map<std::tuple<uint64_t, int64_t, Epilogue, bool>, Binding> bindings;
  const std::tuple<uint64_t, int64_t, Epilogue, bool> key{linear_id, rows, epilogue, dst_bf16};
  // Bounded like the primitive caches; also drops the bindings of PackedLinears since destroyed.
  if (bindings.size() >= 4096 && bindings.find(key) == bindings.end()) bindings.clear();
  return bindings[key];
}

}  // namespace

void PackedLinear::Forward(const float* x, int64_t rows, float* y, Epilogue epilogue, int64_t rows_per_scale) const {
  if (!impl_) throw Error("gemm: Forward on an empty PackedLinear", ErrorKind::kInternal);
  if (rows <= 0) return;
  const Impl& p = *impl_;
  ThreadScratchBuffers& scratch = ThreadScratch();
  const int64_t count = rows * p.in_features;
  if (p.f32_panels) {
    f32::Forward(p.F32Weights(), x, rows, y, epilogue);
  } else if (p.precision == GemmPrecision::kF32) {
    Execute(x, rows, y, false, epilogue);
  } else if (p.precision == GemmPrecision::kBF16) {
    uint16_t* converted = scratch.Bf16(static_cast<size_t>(count));
    ConvertToBF16(x, count, converted);
    Execute(converted, rows, y, false, epilogue);
  } else if (p.vnni) {
    vnni::Forward(p.VnniWeights(), x, rows, scratch.Int8(static_cast<size_t>(count)),
                  scratch.XScales(static_cast<size_t>(rows)), y, epilogue);
  } else {
    // One matmul per group of rows, each with its own activation scale: oneDNN 2.6's brgemm takes only a
    // scalar one (a per-row [M,1] factor sends it to its reference kernel, and a batched [groups, rows, K]
    // matmul with a [groups, 1, N] factor, though kept on AMX, takes the weights unpacked: ViT-L's fc1 on
    // 8 images ran 8.98 ms that way, 6.89 ms as 8 calls). All groups are quantized in one pass first.
    const int64_t group = rows_per_scale > 0 && rows_per_scale < rows ? rows_per_scale : rows;
    const int64_t groups = (rows + group - 1) / group;
    uint8_t* quantized = scratch.Int8(static_cast<size_t>(count));
    float* scales = scratch.XScales(static_cast<size_t>(groups));
    float* biases = scratch.GroupBiases(static_cast<size_t>(groups * p.out_features));
    QuantizeActivationsInGroups(x, count, group * p.in_features, quantized, scales);
    const auto* b = static_cast<const float*>(p.bias.get_data_handle());
    for (int64_t g = 0; g < groups; ++g) {
      const int64_t r = g * group;
      float* bias = biases + g * p.out_features;
      for (int64_t n = 0; n < p.out_features; ++n) bias[n] = b[n] - scales[g] * p.offset_terms[n];
      Execute(quantized + r * p.in_features, std::min(group, rows - r), y + r * p.out_features, false, epilogue,
              &scales[g], bias);
    }
  }
}

void PackedLinear::CheckBf16Input(bool y_bf16, Epilogue epilogue) const {
  if (!impl_) throw Error("gemm: Forward on an empty PackedLinear", ErrorKind::kInternal);
  if (impl_->precision != GemmPrecision::kBF16)
    throw Error(std::string("gemm: bf16 activations given to a ") + GemmPrecisionName(impl_->precision) + " layer",
                ErrorKind::kInvalidArgument);
  if (y_bf16 && epilogue == Epilogue::kBiasResidual)
    throw Error("gemm: a residual epilogue keeps its output in f32", ErrorKind::kInvalidArgument);
}

void PackedLinear::Forward(const uint16_t* x, int64_t rows, float* y, Epilogue epilogue) const {
  CheckBf16Input(false, epilogue);
  if (rows > 0) Execute(x, rows, y, false, epilogue);
}

void PackedLinear::Forward(const uint16_t* x, int64_t rows, uint16_t* y, Epilogue epilogue) const {
  CheckBf16Input(true, epilogue);
  if (rows > 0) Execute(x, rows, y, true, epilogue);
}

void PackedLinear::Execute(const void* x, int64_t rows, void* y, bool y_bf16, Epilogue epilogue,
                           const float* x_scale, const float* int8_bias) const {
  const Impl& p = *impl_;
  const dnnl::matmul primitive = p.Primitive(rows, epilogue, y_bf16);
  Binding& binding = ThreadBinding(p.id, rows, epilogue, y_bf16);
  if (!binding.dst) {
    binding.dst = memory({{rows, p.out_features}, y_bf16 ? Dt::bf16 : Dt::f32, Tag::ab}, Engine(), y);
    binding.src = memory({{rows, p.in_features}, InputType(p.precision), Tag::ab}, Engine(), DNNL_MEMORY_NONE);
    binding.args = {{DNNL_ARG_SRC, binding.src}, {DNNL_ARG_WEIGHTS, p.weights}, {DNNL_ARG_DST, binding.dst}};
    if (p.precision == GemmPrecision::kInt8) {
      binding.x_scale = memory({{1, 1}, Dt::f32, Tag::ab}, Engine(), DNNL_MEMORY_NONE);
      binding.int8_bias = memory({{1, p.out_features}, Dt::f32, Tag::ab}, Engine(), DNNL_MEMORY_NONE);
      binding.args.emplace(DNNL_ARG_ATTR_MULTIPLE_POST_OP(0) | DNNL_ARG_SRC_1, binding.x_scale);
      binding.args.emplace(DNNL_ARG_ATTR_MULTIPLE_POST_OP(1) | DNNL_ARG_SRC_1, binding.int8_bias);
    } else {
      binding.args.emplace(DNNL_ARG_BIAS, p.bias);
    }
  }
  binding.src.set_data_handle(const_cast<void*>(x));
  binding.dst.set_data_handle(y);
  if (binding.x_scale) {
    binding.x_scale.set_data_handle(const_cast<float*>(x_scale));
    binding.int8_bias.set_data_handle(const_cast<float*>(int8_bias));
  }
  // Debian's oneDNN keeps one library-managed scratchpad for all primitives (it is built without concurrent
  // execution), so two threads executing matmuls at once can overwrite each other's partial results. Each
  // execute already spreads over the whole OpenMP pool, so running them one at a time costs no throughput.
  static std::mutex execute_mutex;
  std::lock_guard<std::mutex> lock(execute_mutex);
  dnnl::stream& stream = ThreadStream();
  primitive.execute(stream, binding.args);
  stream.wait();
}

std::string PackedLinear::layout() const {
  if (!impl_) return {};
  return impl_->own_kernel() ? impl_->OwnLayout() : DescribeLayout(impl_->weights_md);
}

std::span<const std::byte> PackedLinear::packed_weights() const {
  if (!impl_) return {};
  if (impl_->own_kernel())
    return {static_cast<const std::byte*>(impl_->own_weights), impl_->OwnPackedBytes()};
  return {static_cast<const std::byte*>(impl_->weights.get_data_handle()), impl_->weights_md.get_size()};
}

std::span<const float> PackedLinear::bias() const {
  if (!impl_) return {};
  return {static_cast<const float*>(impl_->bias.get_data_handle()), static_cast<size_t>(impl_->out_features)};
}

std::span<const float> PackedLinear::weight_scales() const {
  if (!impl_) return {};
  return impl_->weight_scales;
}

std::span<const float> PackedLinear::offset_terms() const {
  if (!impl_) return {};
  return impl_->offset_terms;
}

PackedLinear PackedLinear::FromPacked(std::span<const std::byte> weights, const std::string& layout,
                                      std::span<const float> bias, std::span<const float> weight_scales,
                                      std::span<const float> offset_terms,
                                      int64_t out_features, int64_t in_features, GemmPrecision precision,
                                      std::shared_ptr<const void> owner) {
  if (out_features <= 0 || in_features <= 0)
    throw Error("gemm: FromPacked needs positive sizes", ErrorKind::kInvalidArgument);
  auto impl = NewImpl(out_features, in_features, precision);
  const auto n = static_cast<size_t>(out_features);
  const size_t scales_expected = precision == GemmPrecision::kInt8 ? n : 0;
  if (bias.size() != n || weight_scales.size() != scales_expected || offset_terms.size() != scales_expected)
    throw Error("gemm: packed bias/scales/offset terms have " + std::to_string(bias.size()) + "/" +
                    std::to_string(weight_scales.size()) + "/" + std::to_string(offset_terms.size()) +
                    " values, expected " + std::to_string(n) + "/" + std::to_string(scales_expected) + "/" +
                    std::to_string(scales_expected),
                ErrorKind::kInvalidInput);
  impl->weight_scales.assign(weight_scales.begin(), weight_scales.end());
  impl->offset_terms.assign(offset_terms.begin(), offset_terms.end());
  if (!impl->own_kernel()) impl->ChooseLayout();
  const std::string expected = impl->own_kernel() ? impl->OwnLayout() : DescribeLayout(impl->weights_md);
  const size_t expected_bytes = impl->own_kernel() ? impl->OwnPackedBytes() : impl->weights_md.get_size();
  if (layout != expected)
    throw Error("gemm: packed weights laid out as '" + layout + "', this build and CPU want '" + expected + "'",
                ErrorKind::kInvalidInput);
  if (weights.size() != expected_bytes || reinterpret_cast<uintptr_t>(weights.data()) % 64 != 0)
    throw Error("gemm: packed weights are " + std::to_string(weights.size()) + " bytes, expected " +
                    std::to_string(expected_bytes) + " at a 64-byte boundary",
                ErrorKind::kInvalidInput);
  if (impl->vnni) {
    // The integer sums come back from the float offset terms, 128 * scale * sum rounded once to float:
    // |sum| <= 127 * 65536 < 2^23, so the relative error of 2^-24 leaves it within 0.5 of the integer.
    impl->offset_sums.resize(n);
    const double max_sum = 127.0 * static_cast<double>(in_features);
    for (size_t i = 0; i < n; ++i) {
      const double unit = 128.0 * static_cast<double>(weight_scales[i]);
      const double sum = unit > 0 ? static_cast<double>(offset_terms[i]) / unit : 0.0;
      if (!(std::fabs(sum) <= max_sum))  // also NaN: a damaged file, never trusted
        throw Error("gemm: packed offset term " + std::to_string(i) + " does not fit its weight scale",
                    ErrorKind::kInvalidInput);
      impl->offset_sums[i] = 128 * static_cast<int32_t>(std::llround(sum));
    }
  }
  if (impl->own_kernel()) {
    impl->own_weights = weights.data();
  } else {
    // oneDNN only reads the weights of a matmul; the memory object needs a non-const handle.
    impl->weights = memory(impl->weights_md, Engine(), const_cast<std::byte*>(weights.data()));
  }
  impl->weights_owner = std::move(owner);
  impl->SetBias(bias.data());
  PackedLinear packed;
  packed.impl_ = std::move(impl);
  return packed;
}

std::string PackedLinear::kernel() const {
  if (!impl_) return {};
  if (impl_->vnni) return "vit avx512_vnni";
  if (impl_->f32_panels) return "vit avx512 f32";
  try {
    return std::string("oneDNN ") + impl_->Describe(kPackingRows, impl_->weights_md, Epilogue::kBias).impl_info_str();
  } catch (const dnnl::error&) {
    return "oneDNN";
  }
}

int64_t PackedLinear::in_features() const { return impl_ ? impl_->in_features : 0; }
int64_t PackedLinear::out_features() const { return impl_ ? impl_->out_features : 0; }
size_t PackedLinear::packed_bytes() const {
  if (!impl_) return 0;
  const size_t weights = impl_->own_kernel() ? impl_->OwnPackedBytes() : impl_->weights_md.get_size();
  return weights + static_cast<size_t>(impl_->out_features) * sizeof(float);
}

}  // namespace vit::kernels
