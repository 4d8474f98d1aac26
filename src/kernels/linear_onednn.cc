// The back end on oneDNN's matmul: every precision, on every CPU oneDNN runs (bf16 and int8 from
// AVX-512 on). The weights are reordered once, at Pack, into the blocked layout the primitive prefers; a
// primitive per (row count, epilogue) is created on first use and cached, so the steady state only
// executes. Bias and epilogue are post-ops of the same primitive: one pass over y.
#include "kernels/linear_onednn.h"

#include <algorithm>
#include <atomic>
#include <map>
#include <mutex>
#include <oneapi/dnnl/dnnl.hpp>
#include <tuple>
#include <unordered_map>
#include <utility>

#include "core/aligned.h"
#include "kernels/dispatch.h"
#include "kernels/dnnl_context.h"
#include "kernels/gemm_quantize.h"
#include "vit/error.h"

namespace vit::kernels {
namespace {

using dnnl::memory;
using Dt = memory::data_type;
using Tag = memory::format_tag;

// The layout oneDNN 2.6 picks for the weights does not depend on the row count (seen for 1 to 1576
// rows in f32, bf16 and int8), so one representative count decides the packing for every later call.
// Were another count to prefer another layout, its primitive would still take this one, only slower.
constexpr memory::dim kPackingRows = 256;

std::atomic<uint64_t> next_linear_id{1};

// Primitives kept per layer (row count x epilogue pairs).
constexpr size_t kMaxCachedRowCounts = 64;

// The element type of the weights at a precision; the output is always f32 (or bf16 where asked).
Dt WeightType(Precision p) {
  switch (p) {
    case Precision::kF32:
      return Dt::f32;
    case Precision::kBF16:
      return Dt::bf16;
    case Precision::kInt8:
      return Dt::s8;
  }
  return Dt::f32;
}

// The activations' type: the weights', except int8's, which go in as uint8 offset by 128
// (QuantizeActivationsInGroups). VNNI multiplies unsigned by signed bytes, so signed activations
// make oneDNN add 128 inside the kernel and subtract a compensation after; offset activations with that
// compensation folded into the bias spare it that pass (gemm_bench's s8 family, bench/RESULTS.md).
Dt InputType(Precision p) { return p == Precision::kInt8 ? Dt::u8 : WeightType(p); }

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
    case Epilogue::kBiasQuickGelu:  // swish: x * sigmoid(alpha x)
      ops.append_eltwise(1.f, dnnl::algorithm::eltwise_swish, 1.702f, 0.f);
      break;
    case Epilogue::kBiasGeluTanh:
      ops.append_eltwise(1.f, dnnl::algorithm::eltwise_gelu_tanh, 0.f, 0.f);
      break;
  }
  return ops;
}

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

class OneDnnLinear final : public LinearBackend {
 public:
  OneDnnLinear(int64_t out_features, int64_t in_features, Precision precision, const float* bias)
      : LinearBackend(out_features, in_features, precision, bias), id(next_linear_id.fetch_add(1)) {
    // A view of bias_, which never moves: the layer is not copied or moved once made.
    bias_memory = memory({{1, out_features}, Dt::f32, Tag::ab}, Engine(), bias_.data());
  }

  void Forward(const float* x, int64_t rows, float* y, Epilogue epilogue, int64_t rows_per_scale) const override;
  void ForwardBf16(const uint16_t* x, int64_t rows, void* y, bool y_bf16, Epilogue epilogue) const override {
    Execute(x, rows, y, y_bf16, epilogue);
  }
  std::string kernel() const override {
    try {
      return std::string("oneDNN ") + Describe(kPackingRows, weights_md, Epilogue::kBias).impl_info_str();
    } catch (const dnnl::error&) {
      return "oneDNN";
    }
  }
  std::string layout() const override { return DescribeLayout(weights_md); }
  std::span<const std::byte> packed_weights() const override {
    return {static_cast<const std::byte*>(weights.get_data_handle()), weights_md.get_size()};
  }

  // Reorders weights already in the precision's type (nn.Linear layout) into oneDNN's blocking.
  void PackFrom(const void* user_data);
  void SetInt8(std::vector<float> scales, std::vector<float> offset_terms) {
    weight_scales_ = std::move(scales);
    offset_terms_ = std::move(offset_terms);
  }
  void View(const PackedForm& form, std::shared_ptr<const void> owner) {
    CheckPackedForm(form, layout(), weights_md.get_size());
    // oneDNN only reads the weights of a matmul; the memory object needs a non-const handle.
    weights = memory(weights_md, Engine(), const_cast<std::byte*>(form.weights.data()));
    weights_owner_ = std::move(owner);
  }

  dnnl::primitive_attr Attributes(Epilogue epilogue) const {
    dnnl::primitive_attr attr;
    // Strict: f32 stays f32 (no implicit bf16/tf32 down-conversion), as PyTorch's fp32.
    attr.set_fpmath_mode(dnnl::fpmath_mode::strict);
    if (precision_ == Precision::kInt8) {
      // oneDNN v2 scales int8 results after adding the bias, so the bias (like the activation scale
      // known only at run time) comes in as a post-op: y = epilogue(acc * w_scale[n] * x_scale + b[n]).
      // A per-row activation scale would need a [M,1] broadcast, which sends oneDNN 2.6 to its
      // reference kernel; a scalar one keeps the VNNI/AMX brgemm kernels.
      attr.set_output_scales(1 << 1, weight_scales_);
      dnnl::post_ops ops;
      ops.append_binary(dnnl::algorithm::binary_mul, memory::desc({1, 1}, Dt::f32, Tag::ab));
      ops.append_binary(dnnl::algorithm::binary_add, memory::desc({1, out_features_}, Dt::f32, Tag::ab));
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
    const memory::desc src({rows, in_features_}, InputType(precision_), Tag::ab);
    const memory::desc bias_md({1, out_features_}, Dt::f32, Tag::ab);
    const memory::desc dst({rows, out_features_}, dst_bf16 ? Dt::bf16 : Dt::f32, Tag::ab);
    const dnnl::matmul::desc desc = precision_ == Precision::kInt8
                                        ? dnnl::matmul::desc(src, weights_desc, dst)
                                        : dnnl::matmul::desc(src, weights_desc, bias_md, dst);
    return dnnl::matmul::primitive_desc(desc, Attributes(epilogue), Engine());
  }

  // oneDNN's int8 kernels for CPUs without VNNI (AVX2, plain AVX-512) multiply with VPMADDUBSW, whose
  // 16-bit pair sums saturate on full-range int8: wrong answers, not just slow ones. int8 is offered
  // only where oneDNN runs VNNI or AMX (or its exact reference kernel, for shapes too odd for those).
  void CheckKernel(const dnnl::matmul::primitive_desc& pd) const {
    if (precision_ != Precision::kInt8) return;
    const std::string impl = pd.impl_info_str();
    if (!Kernels().onednn_int8_dot_products && impl.rfind("ref", 0) != 0) {
      throw Error("gemm: int8 needs a CPU with AVX512-VNNI or AMX (oneDNN offers '" + impl +
                      "' here, whose int8 sums saturate); use f32 or bf16",
                  ErrorKind::kUnsupported);
    }
  }

  // Sets weights_md to the blocking oneDNN picks for these weights (int8's weight scales must be set
  // first: they are part of the primitive); a CPU without kernels for the precision is an error saying so.
  void ChooseLayout() {
    const memory::desc any_weights({in_features_, out_features_}, WeightType(precision_), Tag::any);
    try {
      const dnnl::matmul::primitive_desc pd = Describe(kPackingRows, any_weights, Epilogue::kBias);
      CheckKernel(pd);
      weights_md = pd.weights_desc();
    } catch (const dnnl::error& e) {
      // f32 runs everywhere; oneDNN 2.6 has bf16 and int8 kernels only from AVX-512 on.
      if (precision_ != Precision::kF32) {
        throw Error(std::string("gemm: this CPU has no oneDNN kernel for ") + PrecisionName(precision_) +
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
                        std::to_string(in_features_) + " by " + std::to_string(in_features_) + "x" +
                        std::to_string(out_features_) + ": " + e.what(),
                    ErrorKind::kInternal);
      }
    }
    return it->second;
  }

 private:
  // x in the precision's input type, y f32 or (y_bf16) bf16; int8 also takes the activation scale and
  // the bias that goes with it.
  void Execute(const void* x, int64_t rows, void* y, bool y_bf16, Epilogue epilogue,
               const float* x_scale = nullptr, const float* int8_bias = nullptr) const;

  const uint64_t id;  // unique per layer: keys the per-thread bindings, which outlive no address reuse
  memory::desc weights_md;
  memory weights;
  memory bias_memory;
  mutable std::mutex mutex;
  // Keyed by (rows, epilogue, bf16 output).
  mutable std::map<std::tuple<int64_t, Epilogue, bool>, dnnl::matmul> primitives;
};

void OneDnnLinear::PackFrom(const void* user_data) {
  ChooseLayout();
  try {
    // Our allocation rather than oneDNN's: it asks for transparent huge pages, and the load's cost is
    // mostly first touches of the packed weights, one fault per 4 KiB page otherwise (`vit bench` reports
    // the load's seconds).
    void* packed_weights = core::AlignedAlloc(weights_md.get_size());
    weights_owner_ = std::shared_ptr<const void>(packed_weights, core::AlignedFree);
    weights = memory(weights_md, Engine(), packed_weights);
    // nn.Linear's W[N,K] row-major is the K x N matrix in column-major order ("ba").
    const memory::desc user_md({in_features_, out_features_}, WeightType(precision_), Tag::ba);
    memory user(user_md, Engine(), const_cast<void*>(user_data));
    dnnl::reorder(user, weights).execute(ThreadStream(), user, weights);

    ThreadStream().wait();
  } catch (const dnnl::error& e) {
    throw Error(std::string("gemm: oneDNN could not pack the weights: ") + e.what(), ErrorKind::kInternal);
  }
}

void OneDnnLinear::Forward(const float* x, int64_t rows, float* y, Epilogue epilogue, int64_t rows_per_scale) const {
  ThreadScratchBuffers& scratch = ThreadScratch();
  const int64_t count = rows * in_features_;
  if (precision_ == Precision::kF32) {
    Execute(x, rows, y, false, epilogue);
  } else if (precision_ == Precision::kBF16) {
    uint16_t* converted = scratch.Bf16(static_cast<size_t>(count));
    ConvertToBF16(x, count, converted);
    Execute(converted, rows, y, false, epilogue);
  } else {
    // One matmul per group of rows, each with its own activation scale: oneDNN 2.6's brgemm takes only a
    // scalar one (a per-row [M,1] factor sends it to its reference kernel, and a batched [groups, rows, K]
    // matmul with a [groups, 1, N] factor, though kept on AMX, takes the weights unpacked and lost to one
    // call per group: gemm_bench on ViT-L's fc1 at 8 images, bench/RESULTS.md). All groups are quantized
    // in one pass first.
    const int64_t group = rows_per_scale > 0 && rows_per_scale < rows ? rows_per_scale : rows;
    const int64_t groups = (rows + group - 1) / group;
    uint8_t* quantized = scratch.Int8(static_cast<size_t>(count));
    float* scales = scratch.XScales(static_cast<size_t>(groups));
    float* biases = scratch.GroupBiases(static_cast<size_t>(groups * out_features_));
    QuantizeActivationsInGroups(x, count, group * in_features_, quantized, scales);
    for (int64_t g = 0; g < groups; ++g) {
      const int64_t r = g * group;
      float* bias = biases + g * out_features_;
      for (int64_t n = 0; n < out_features_; ++n) bias[n] = bias_[n] - scales[g] * offset_terms_[n];
      Execute(quantized + r * in_features_, std::min(group, rows - r), y + r * out_features_, false, epilogue,
              &scales[g], bias);
    }
  }
}

void OneDnnLinear::Execute(const void* x, int64_t rows, void* y, bool y_bf16, Epilogue epilogue,
                           const float* x_scale, const float* int8_bias) const {
  const dnnl::matmul primitive = Primitive(rows, epilogue, y_bf16);
  Binding& binding = ThreadBinding(id, rows, epilogue, y_bf16);
  if (!binding.dst) {
    binding.dst = memory({{rows, out_features_}, y_bf16 ? Dt::bf16 : Dt::f32, Tag::ab}, Engine(), y);
    binding.src = memory({{rows, in_features_}, InputType(precision_), Tag::ab}, Engine(), DNNL_MEMORY_NONE);
    binding.args = {{DNNL_ARG_SRC, binding.src}, {DNNL_ARG_WEIGHTS, weights}, {DNNL_ARG_DST, binding.dst}};
    if (precision_ == Precision::kInt8) {
      binding.x_scale = memory({{1, 1}, Dt::f32, Tag::ab}, Engine(), DNNL_MEMORY_NONE);
      binding.int8_bias = memory({{1, out_features_}, Dt::f32, Tag::ab}, Engine(), DNNL_MEMORY_NONE);
      binding.args.emplace(DNNL_ARG_ATTR_MULTIPLE_POST_OP(0) | DNNL_ARG_SRC_1, binding.x_scale);
      binding.args.emplace(DNNL_ARG_ATTR_MULTIPLE_POST_OP(1) | DNNL_ARG_SRC_1, binding.int8_bias);
    } else {
      binding.args.emplace(DNNL_ARG_BIAS, bias_memory);
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

std::unique_ptr<LinearBackend> PackOneDnnLinear(const void* weights, Precision precision, const float* bias,
                                                int64_t out_features, int64_t in_features,
                                                QuantizedWeights* quantized) {
  auto linear = std::make_unique<OneDnnLinear>(out_features, in_features, precision, bias);
  // int8's weight scales are part of the primitive: set before its layout is chosen.
  if (quantized != nullptr) linear->SetInt8(std::move(quantized->scales), std::move(quantized->offset_terms));
  linear->PackFrom(weights);
  return linear;
}

std::unique_ptr<LinearBackend> OneDnnLinearFromPacked(const PackedForm& form, Precision precision,
                                                      int64_t out_features, int64_t in_features,
                                                      std::shared_ptr<const void> owner) {
  auto linear = std::make_unique<OneDnnLinear>(out_features, in_features, precision, form.bias.data());
  linear->SetInt8({form.weight_scales.begin(), form.weight_scales.end()},
                  {form.offset_terms.begin(), form.offset_terms.end()});
  linear->ChooseLayout();
  linear->View(form, std::move(owner));
  return linear;
}

}  // namespace vit::kernels
